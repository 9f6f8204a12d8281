#!/usr/bin/env bash
# Builds the pinned Kubernetes control plane that scripts/test-cluster.sh runs the chart on, into
# .tools/bin, from the Go module proxy alone: kube-apiserver, kube-controller-manager,
# kube-scheduler and kubectl from k8s.io/kubernetes, etcd, and kwok (which plays the node). Each
# component@version leaves a stamp, so a second run is a no-op. Called by
# `scripts/install-tools.sh --cluster`; the first build takes 20–25 minutes on 2 cores.
#
# With --node it also builds the real node that scripts/test-kubelet.sh runs: kubelet and
# kube-proxy from the same Kubernetes build, containerd 2 (with ctr and the runc shim), the CNI
# plugins into .tools/cni/bin, and a CoreDNS that carries only the plugins a sealed cluster needs
# (no forward: it never asks another resolver), and skaffold, which the node stage drives the
# chart with as a developer does. 15–35 more minutes the first time.
#
#   bash scripts/install-cluster-tools.sh [--node]           # build what is missing
#   bash scripts/install-cluster-tools.sh [--node] --force   # rebuild everything
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
BIN="$TOOLS/bin"
STAMPS="$TOOLS/stamps"
FORCE=0
NODE=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    --node) NODE=1 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

KUBERNETES_VERSION=v1.36.3
# k8s.io/kubernetes requires its staging modules (k8s.io/api, k8s.io/client-go, ...) at v0.0.0
# and points them at ./staging with `replace` directives, which only apply inside its own
# repository. Outside it every staging module is replaced by its published release, which is
# cut from the same commit.
STAGING_VERSION=v0.36.3
KUBERNETES_COMMANDS=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
# A component of its own, so that adding the node did not invalidate the control plane's stamp.
KUBERNETES_NODE_COMMANDS=(kubelet kube-proxy)
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.8.0
CONTAINERD_VERSION=v2.4.2
CONTAINERD_COMMANDS=(containerd ctr containerd-shim-runc-v2)
CNI_PLUGINS_VERSION=v1.10.0
CNI_PLUGINS=(main/bridge main/loopback ipam/host-local meta/portmap)
COREDNS_VERSION=v1.15.0
# The plugins of the test cluster's Corefile, nothing that reaches out of the cluster.
COREDNS_PLUGINS=(errors ready cache kubernetes)
# skaffold's module carries `replace` directives, so it is built as the main module from its own
# source. The checksum database does not list this release, so the module's hash is pinned here
# (as go.sum would pin it) and checked before anything is built; its dependencies are verified
# by its own go.sum.
SKAFFOLD_VERSION=v2.19.0
SKAFFOLD_MODULE_SUM="h1:qH0CVdT2qAT3PNCfbBXb8Rhb6H5tuWEyQOwK9VaePsE="
# Release builds stamp the version; without it the API server reports v0.0.0-master+..., which
# is what helm would render .Capabilities.KubeVersion from.
minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
KUBERNETES_LDFLAGS="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  KUBERNETES_LDFLAGS+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
done

log() { printf '[install-cluster-tools] %s\n' "$*"; }
now() { date +%s; }

command -v go >/dev/null || { log "ERROR: go is not on PATH (needed to build the control plane)"; exit 1; }
# The machine's Go, never a downloaded toolchain; two packages at a time so that a 2-core
# machine stays usable (kube-apiserver's link alone needs about 2 GB).
export GOTOOLCHAIN=local CGO_ENABLED=0 GOBIN="$BIN"
export GOFLAGS="${GOFLAGS:-} -trimpath -buildvcs=false -p=2"
mkdir -p "$BIN" "$STAMPS"
START=$(now)
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# stamp NAME VERSION RECIPE... -> path of the stamp that records a build made this way.
stamp() {
  local name="$1" version="$2"; shift 2
  printf '%s/%s@%s.%s' "$STAMPS" "$name" "$version" "$(printf '%s\n' "$@" | sha256sum | cut -c1-12)"
}

# built STAMP BINARY... -> true when the stamp exists and every binary is in .tools/bin.
built() {
  local stamp_file="$1" exe; shift
  [[ $FORCE -eq 0 && -f "$stamp_file" ]] || return 1
  for exe in "$@"; do [[ -x "$BIN/$exe" ]] || return 1; done
}

# reports_version VERSION COMMAND...: fails unless COMMAND's output names VERSION. (The output is
# read whole: `| grep -q` may end the command early, which pipefail counts as a failure.)
reports_version() {
  local version="$1" output; shift
  output="$("$@" 2>&1)" || true
  [[ "$output" == *"$version"* ]] || { log "ERROR: $* does not report $version: $output"; exit 1; }
}

# new_module DIR PATH: an empty throw-away main module to build a dependency's commands in.
new_module() {
  mkdir -p "$1"
  (cd "$1" && go mod init "$2" >/dev/null 2>&1)
}

# kubernetes_commands COMMAND...: k8s.io/kubernetes/cmd/COMMAND into .tools/bin.
kubernetes_commands() {
  # A module of its own per call: the control plane and the node may both be built in one run.
  local dir gomod staging cmd commands=("$@")
  dir="$(mktemp -d "$WORK/kubernetes-XXXXXX")"
  new_module "$dir" local/kubernetes-build
  gomod="$(cd "$dir" && go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" \
    | sed -nE 's/^\s*"GoMod": "(.*)",?$/\1/p')"
  [[ -f "$gomod" ]] || { log "ERROR: the Go module proxy gave no go.mod for k8s.io/kubernetes@$KUBERNETES_VERSION"; exit 1; }
  # One replace per `k8s.io/X => ./staging/src/k8s.io/X` line of Kubernetes' own go.mod.
  while read -r staging; do
    (cd "$dir" && go mod edit -replace "$staging=$staging@$STAGING_VERSION")
  done < <(sed -nE 's#^\s*(k8s\.io/[a-z0-9-]+) => \./staging/src/.*#\1#p' "$gomod")
  (
    cd "$dir"
    local packages=()
    for cmd in "${commands[@]}"; do packages+=("k8s.io/kubernetes/cmd/$cmd@$KUBERNETES_VERSION"); done
    go get "${packages[@]}" 2>"$WORK/get.log" || { cat "$WORK/get.log"; exit 1; }
    for cmd in "${commands[@]}"; do
      local t0; t0=$(now)
      log "build   $cmd $KUBERNETES_VERSION ..."
      go build -ldflags="$KUBERNETES_LDFLAGS" -o "$BIN/$cmd" "k8s.io/kubernetes/cmd/$cmd"
      log "done    $cmd in $(( $(now) - t0 ))s"
    done
  )
}

build_kubernetes() {
  kubernetes_commands "${KUBERNETES_COMMANDS[@]}"
  reports_version "$KUBERNETES_VERSION" "$BIN/kubectl" version --client
}

build_kubernetes_node() {
  kubernetes_commands "${KUBERNETES_NODE_COMMANDS[@]}"
  reports_version "$KUBERNETES_VERSION" "$BIN/kubelet" --version
}

# etcd's server module carries `replace` directives, so `go install` refuses it; a main of our own
# calls the same entry point as etcd's release binary.
build_etcd() {
  local dir="$WORK/etcd"
  new_module "$dir" local/etcd-build
  cat >"$dir/main.go" <<'EOF'
// Command etcd is etcd's server, built from the Go module proxy.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
  (
    cd "$dir"
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" 2>"$WORK/get.log" || { cat "$WORK/get.log"; exit 1; }
    # Adds the requirements of what main.go imports, at the versions etcd's go.mod selects.
    go mod tidy 2>"$WORK/tidy.log" || { cat "$WORK/tidy.log"; exit 1; }
    go build -ldflags="-s -w" -o "$BIN/etcd" .
  )
  reports_version "${ETCD_VERSION#v}" "$BIN/etcd" --version
}

build_kwok() {
  go install -ldflags="-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
}

build_containerd() {
  local cmd packages=()
  for cmd in "${CONTAINERD_COMMANDS[@]}"; do packages+=("github.com/containerd/containerd/v2/cmd/$cmd@$CONTAINERD_VERSION"); done
  go install -ldflags="-s -w -X github.com/containerd/containerd/v2/version.Version=$CONTAINERD_VERSION" "${packages[@]}"
  reports_version "$CONTAINERD_VERSION" "$BIN/containerd" --version
}

# CNI plugins go to a directory of their own: containerd runs whatever it finds there by name.
build_cni_plugins() {
  local plugin packages=()
  for plugin in "${CNI_PLUGINS[@]}"; do packages+=("github.com/containernetworking/plugins/plugins/$plugin@$CNI_PLUGINS_VERSION"); done
  GOBIN="$TOOLS/cni/bin" go install -ldflags="-s -w" "${packages[@]}"
}

# CoreDNS registers its plugins through imports; a main of our own imports only those the test
# cluster's Corefile uses (core/plugin would pull in every cloud provider's SDK).
build_coredns() {
  local dir="$WORK/coredns" plugin
  new_module "$dir" local/coredns-build
  {
    printf '// Command coredns is CoreDNS with the plugins: %s.\npackage main\n\nimport (\n' "${COREDNS_PLUGINS[*]}"
    printf '\t_ "github.com/coredns/coredns/core/dnsserver"\n'
    for plugin in "${COREDNS_PLUGINS[@]}"; do printf '\t_ "github.com/coredns/coredns/plugin/%s"\n' "$plugin"; done
    printf '\n\t"github.com/coredns/coredns/coremain"\n)\n\nfunc main() { coremain.Run() }\n'
  } >"$dir/main.go"
  (
    cd "$dir"
    go get "github.com/coredns/coredns@$COREDNS_VERSION" 2>"$WORK/get.log" || { cat "$WORK/get.log"; exit 1; }
    go mod tidy 2>"$WORK/tidy.log" || { cat "$WORK/tidy.log"; exit 1; }
    go build -ldflags="-s -w" -o "$BIN/coredns" .
  )
  reports_version "${COREDNS_VERSION#v}" "$BIN/coredns" -version
}

build_skaffold() {
  local module=github.com/GoogleContainerTools/skaffold/v2 info dir sum
  info="$(GONOSUMDB=github.com/GoogleContainerTools/skaffold go mod download -json "$module@$SKAFFOLD_VERSION")"
  sum="$(sed -nE 's/^\s*"Sum": "(.*)",?$/\1/p' <<<"$info")"
  dir="$(sed -nE 's/^\s*"Dir": "(.*)",?$/\1/p' <<<"$info")"
  [[ "$sum" == "$SKAFFOLD_MODULE_SUM" ]] \
    || { log "ERROR: $module@$SKAFFOLD_VERSION has hash '$sum', expected $SKAFFOLD_MODULE_SUM"; exit 1; }
  cp -r "$dir" "$WORK/skaffold"
  chmod -R u+w "$WORK/skaffold"
  (
    cd "$WORK/skaffold"
    go build -ldflags="-s -w -X $module/pkg/skaffold/version.version=$SKAFFOLD_VERSION" \
      -o "$BIN/skaffold" ./cmd/skaffold
  )
  reports_version "$SKAFFOLD_VERSION" "$BIN/skaffold" version
}

# component NAME VERSION BUILD_FUNCTION "RECIPE" BINARY...
component() {
  local name="$1" version="$2" build="$3" recipe="$4"; shift 4
  local stamp_file t0
  stamp_file="$(stamp "$name" "$version" "$recipe")"
  if built "$stamp_file" "$@"; then
    log "ok      $name $version (already built)"
    return
  fi
  t0=$(now)
  log "build   $name $version ($*) ..."
  rm -f "$STAMPS/$name@"*
  "$build"
  touch "$stamp_file"
  log "done    $name $version in $(( $(now) - t0 ))s"
}

log "using $(go version)"
component kubernetes "$KUBERNETES_VERSION" build_kubernetes \
  "$STAGING_VERSION ${KUBERNETES_COMMANDS[*]} $KUBERNETES_LDFLAGS" "${KUBERNETES_COMMANDS[@]}"
component etcd "$ETCD_VERSION" build_etcd "etcdmain.Main" etcd
component kwok "$KWOK_VERSION" build_kwok "go install" kwok
if [[ $NODE -eq 1 ]]; then
  component kubernetes-node "$KUBERNETES_VERSION" build_kubernetes_node \
    "$STAGING_VERSION ${KUBERNETES_NODE_COMMANDS[*]} $KUBERNETES_LDFLAGS" "${KUBERNETES_NODE_COMMANDS[@]}"
  component containerd "$CONTAINERD_VERSION" build_containerd "go install ${CONTAINERD_COMMANDS[*]}" "${CONTAINERD_COMMANDS[@]}"
  component cni-plugins "$CNI_PLUGINS_VERSION" build_cni_plugins "${CNI_PLUGINS[*]}" \
    "${CNI_PLUGINS[@]/#*\//../cni/bin/}"
  component coredns "$COREDNS_VERSION" build_coredns "${COREDNS_PLUGINS[*]}" coredns
  component skaffold "$SKAFFOLD_VERSION" build_skaffold "$SKAFFOLD_MODULE_SUM main module" skaffold
fi
log "control plane ready in $(( $(now) - START ))s (bin: ${BIN#"$ROOT"/})"
