#!/usr/bin/env bash
# The chart's pods on a real node: etcd, the control plane, containerd 2 with runc, CoreDNS,
# kubelet and kube-proxy (built by `scripts/install-tools.sh --cluster --node`), with the images of
# scripts/build-kubelet-images.sh, then test/kubelet/ (helm install, probes, the NodePort, Jobs,
# helm test, a rolling update under load, a database restart, uninstall).
#
# The whole cluster runs sealed: in a network namespace made here with loopback and the pod bridge
# only (no route out, so no packet leaves it), in a mount namespace of its own and as a PID
# namespace whose end ends every process in it. What it leaves on the host outside its directory,
# the pods' cgroups and the network namespace, is removed here on success, failure and Ctrl-C.
# KEEP_TEST_FILES=1 keeps the directory (logs, certificates, containerd's state).
#
#   make test-kubelet                                  # builds what is missing, then runs this
#   bash scripts/test-kubelet.sh [jest arguments]      # as root
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.tools/bin"
log() { printf '[test-kubelet] %s\n' "$*"; }

for tool in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy \
  containerd ctr containerd-shim-runc-v2 coredns helm; do
  [[ -x "$BIN/$tool" ]] || { echo "missing $BIN/$tool: run 'bash scripts/install-tools.sh --cluster --node' first" >&2; exit 2; }
done
for tool in runc nft ip nsenter unshare podman; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run 'make tools' as root" >&2; exit 2; }
done
for image in pause postgres slack-metrics; do
  [[ -f "$ROOT/.tools/kubelet-images/$image.tar" ]] \
    || { echo "missing the $image image: run 'bash scripts/build-kubelet-images.sh' first" >&2; exit 2; }
done
[[ $(id -u) -eq 0 ]] || { echo "the node runs as root (network namespace, cgroups, mounts)" >&2; exit 2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/slack-metrics-kubelet-XXXXXX")"
RUN_ID="${WORK##*-}"
NETNS="slack-metrics-$RUN_ID"
CGROUP_ROOT="/slack-metrics-$RUN_ID"

# The kubelet wants its cgroup root to exist in every hierarchy: one per controller on cgroup v1
# (this kind of host, where runc also uses the cgroup v2 hierarchy mounted at unified/), the one
# unified hierarchy on v2. A v1 cpuset must hold CPUs and memory nodes before anything can join it.
cgroup_hierarchies() {
  local dir
  if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
    printf '%s\n' /sys/fs/cgroup
    return
  fi
  for dir in /sys/fs/cgroup/*/; do
    [[ -f "$dir/cgroup.procs" ]] && printf '%s\n' "${dir%/}"
  done
}
make_cgroup_root() {
  local hierarchy
  while read -r hierarchy; do
    mkdir -p "$hierarchy$CGROUP_ROOT"
    if [[ -f "$hierarchy/cpuset.cpus" && ! -f "$hierarchy/cgroup.controllers" ]]; then
      cat "$hierarchy/cpuset.cpus" >"$hierarchy$CGROUP_ROOT/cpuset.cpus"
      cat "$hierarchy/cpuset.mems" >"$hierarchy$CGROUP_ROOT/cpuset.mems"
    fi
  done < <(cgroup_hierarchies)
}
# Empty cgroups go with rmdir, deepest first; their processes died with the PID namespace.
remove_cgroup_root() {
  local hierarchy
  while read -r hierarchy; do
    [[ -d "$hierarchy$CGROUP_ROOT" ]] || continue
    for _ in {1..20}; do
      find "$hierarchy$CGROUP_ROOT" -depth -type d -exec rmdir {} + 2>/dev/null || true
      [[ -d "$hierarchy$CGROUP_ROOT" ]] || break
      sleep 0.5
    done
    if [[ -d "$hierarchy$CGROUP_ROOT" ]]; then log "WARNING: could not remove $hierarchy$CGROUP_ROOT"; fi
  done < <(cgroup_hierarchies)
}

INNER_PID=
PODMAN_SERVICE_PID=
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  # Every step runs, whatever the one before it did.
  set +e
  if [[ -n "$INNER_PID" ]] && kill -0 "$INNER_PID" 2>/dev/null; then
    kill -TERM "$INNER_PID" 2>/dev/null || true
    wait "$INNER_PID" 2>/dev/null || true
  fi
  if [[ -n "$PODMAN_SERVICE_PID" ]]; then kill "$PODMAN_SERVICE_PID" 2>/dev/null; wait "$PODMAN_SERVICE_PID" 2>/dev/null; fi
  remove_cgroup_root
  ip netns del "$NETNS" 2>/dev/null || true
  if grep -q "$WORK" /proc/self/mountinfo; then log "ERROR: mounts of the node reached the host"; status=1; fi
  if [[ "${KEEP_TEST_FILES:-}" == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ip netns add "$NETNS"
make_cgroup_root
log "network namespace $NETNS, cgroups under $CGROUP_ROOT"
# skaffold builds inside the sealed node through podman's Docker-compatible API, served from out
# here: the image store, the stand-in base and the network that npm needs are the host's. Only the
# socket, a file under $WORK, is shared.
export CONTAINERS_CONF="$ROOT/.tools/containers/containers.conf"
export PODMAN_URL="unix://$WORK/podman.sock" NODE_IMAGE
NODE_IMAGE="$(bash "$ROOT/scripts/build-image.sh" --print-base)"
podman system service --time=0 "$PODMAN_URL" >"$WORK/podman-service.log" 2>&1 &
PODMAN_SERVICE_PID=$!
# nsenter rather than `ip netns exec`, which would mount a sysfs of its own over /sys and so hide
# the cgroup hierarchies the kubelet needs.
nsenter --net="/run/netns/$NETNS" unshare --mount --propagation private --pid --fork --kill-child --mount-proc \
  bash "$ROOT/scripts/lib/sealed-node.sh" "$WORK" "$CGROUP_ROOT" "$@" &
INNER_PID=$!
wait "$INNER_PID"
