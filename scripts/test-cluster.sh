#!/usr/bin/env bash
# The chart on a real Kubernetes API server: starts etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler (built by scripts/install-cluster-tools.sh) and kwok, which plays one node, all
# on 127.0.0.1 with ports picked at random; then runs test/cluster/ (install, upgrade, rollback,
# helm test, uninstall, ct install, Pod Security). Stops exactly what it started and removes its
# directory on success, failure and Ctrl-C. KEEP_TEST_FILES=1 keeps the directory (logs, certs).
#
#   bash scripts/install-tools.sh --cluster && bash scripts/test-cluster.sh [jest arguments]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.tools/bin"
KWOK_VERSION=v0.8.0
# ServiceMonitor and PrometheusRule CRDs (for ci/full-values.yaml), as the operator release ships them.
PROMETHEUS_OPERATOR_VERSION=v0.85.0
NODE_NAME=kwok-node-0

for tool in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok helm ct; do
  [[ -x "$BIN/$tool" ]] || { echo "missing $BIN/$tool: run 'bash scripts/install-tools.sh --cluster' first" >&2; exit 2; }
done
export PATH="$BIN:$ROOT/.tools/venv/bin:$PATH"
log() { printf '[test-cluster] %s\n' "$*"; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/slack-metrics-cluster-XXXXXX")"
# shellcheck source=scripts/lib/control-plane.sh
source "$ROOT/scripts/lib/control-plane.sh"
stop_on_exit --remove-work
mkdir -p "$WORK/logs"
# helm and ct keep their state here, not in the user's helm configuration.
export HELM_CACHE_HOME="$WORK/helm/cache" HELM_CONFIG_HOME="$WORK/helm/config" HELM_DATA_HOME="$WORK/helm/data"
START=$(date +%s)

control_plane_certificates
KWOK_PORT=$(free_port)
log "starting etcd, kube-apiserver, controller-manager, scheduler, kwok ($WORK)"
start_control_plane
log "kube-apiserver on 127.0.0.1:$API_PORT"

# module_dir MODULE@VERSION: the module's source in the Go module cache (downloaded if missing).
module_dir() {
  (cd "$ROOT" && GOTOOLCHAIN=local go mod download -json "$1" | sed -nE 's/^\s*"Dir": "(.*)",?$/\1/p')
}
# kwok's own stage definitions, read from its module source, with the test's additions.
KWOK_DIR="$(module_dir "sigs.k8s.io/kwok@$KWOK_VERSION")"
PROMETHEUS_OPERATOR_DIR="$(module_dir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION")"
[[ -d "$KWOK_DIR" && -d "$PROMETHEUS_OPERATOR_DIR" ]] || { log "ERROR: the Go module proxy gave no kwok or prometheus-operator source"; exit 1; }
node "$ROOT/test/cluster/kwok-stages.mjs" "$KWOK_DIR" >"$WORK/kwok.yaml"
start kwok kwok --kubeconfig "$KUBECONFIG" --config "$WORK/kwok.yaml" --server-address "127.0.0.1:$KWOK_PORT" \
  --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
  --cidr 10.244.0.0/16 --node-ip 127.0.0.1 --node-lease-duration-seconds 40

kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $NODE_NAME
  annotations: {kwok.x-k8s.io/node: fake}
  labels: {kubernetes.io/hostname: $NODE_NAME, kubernetes.io/os: linux, kubernetes.io/arch: amd64, type: kwok}
# kwok's default capacity has no ephemeral-storage, which every pod of the chart requests.
status:
  capacity: &capacity {cpu: "32", memory: 256Gi, ephemeral-storage: 1Ti, pods: "250"}
  allocatable: *capacity
EOF
# kwok's StorageClass is the cluster default; kwok provisions and binds its volumes.
kubectl apply -f "$KWOK_DIR/kustomize/stage/volume/fast/storage-class.yaml" >/dev/null
kubectl apply --server-side \
  -f "$PROMETHEUS_OPERATOR_DIR/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" \
  -f "$PROMETHEUS_OPERATOR_DIR/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml" >/dev/null
until_ok 60 "node $NODE_NAME Ready" kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout 1s
until_ok 60 "the default ServiceAccount" kubectl -n default get serviceaccount default
log "cluster $(server_version) ready in $(( $(date +%s) - START ))s"

export CLUSTER_AUDIT_LOG="$WORK/logs/audit.jsonl" CLUSTER_WORK_DIR="$WORK"
(cd "$ROOT" && npx jest --config test/cluster/jest.config.js --runInBand "$@")
log "done in $(( $(date +%s) - START ))s"
