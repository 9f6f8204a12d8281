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
PIDS=()
# Stops the components newest first, each before the next, so none is left retrying one that is
# gone (kube-apiserver does not exit while etcd is away); SIGKILL after 10 seconds.
stop_components() {
  local i pid
  for (( i=${#PIDS[@]}-1; i>=0; i-- )); do
    pid="${PIDS[i]}"
    kill "$pid" 2>/dev/null || continue
    for _ in {1..40}; do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_components
  if [[ $status -ne 0 && -d "$WORK/logs" ]]; then
    for f in "$WORK"/logs/*.log; do printf '\n--- last lines of %s\n' "${f##*/}"; tail -n 15 "$f"; done
  fi
  if [[ "${KEEP_TEST_FILES:-}" == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$WORK/pki" "$WORK/logs"
# helm and ct keep their state here, not in the user's helm configuration.
export HELM_CACHE_HOME="$WORK/helm/cache" HELM_CONFIG_HOME="$WORK/helm/config" HELM_DATA_HOME="$WORK/helm/data"
START=$(date +%s)

# start NAME COMMAND...: runs a component in the background, output to logs/NAME.log.
start() {
  local name="$1"; shift
  "$@" >"$WORK/logs/$name.log" 2>&1 &
  PIDS+=("$!")
}

# until_ok SECONDS WHAT COMMAND...: retries COMMAND every half second.
until_ok() {
  local deadline=$(( $(date +%s) + $1 )) what="$2" pid; shift 2
  until "$@" >/dev/null 2>&1; do
    if (( $(date +%s) > deadline )); then log "ERROR: $what did not happen in time"; return 1; fi
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || { log "ERROR: a component exited"; return 1; }; done
    sleep 0.5
  done
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Certificates: one CA for serving and client certificates, the admin client in system:masters,
# and the service-account signing key.
pki="$WORK/pki"
issue() { # issue NAME SUBJECT EXTENSION
  printf '%s\n' "$3" >"$pki/$1.ext"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/$1.key" -subj "$2" 2>/dev/null \
    | openssl x509 -req -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 2 \
      -extfile "$pki/$1.ext" -out "$pki/$1.crt" 2>/dev/null
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=slack-metrics-test-ca \
  -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
issue apiserver /CN=kube-apiserver "subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes.default.svc"
issue admin "/O=system:masters/CN=slack-metrics-test-admin" "extendedKeyUsage=clientAuth"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$pki/sa.key" 2>/dev/null
openssl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub"

ETCD_PORT=$(free_port) ETCD_PEER_PORT=$(free_port) API_PORT=$(free_port) KWOK_PORT=$(free_port)
export KUBECONFIG="$WORK/kubeconfig"
cat >"$KUBECONFIG" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: test
    cluster: {server: "https://127.0.0.1:$API_PORT", certificate-authority: "$pki/ca.crt"}
users:
  - name: admin
    user: {client-certificate: "$pki/admin.crt", client-key: "$pki/admin.key"}
contexts:
  - name: test
    context: {cluster: test, user: admin}
current-context: test
EOF

# Every namespace without a label of its own enforces the restricted Pod Security Standard, so
# the namespaces `ct install` creates do too.
cat >"$WORK/admission.yaml" <<'EOF'
apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
  - name: PodSecurity
    configuration:
      apiVersion: pod-security.admission.config.k8s.io/v1
      kind: PodSecurityConfiguration
      defaults: {enforce: restricted, enforce-version: latest, warn: restricted, warn-version: latest}
      exemptions: {namespaces: [kube-system]}
EOF
# The audit log records every write helm makes, so the test can tell which objects an upgrade
# patched.
cat >"$WORK/audit-policy.yaml" <<'EOF'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    verbs: [create, update, patch, delete]
  - level: None
EOF

log "starting etcd, kube-apiserver on 127.0.0.1:$API_PORT, controller-manager, scheduler, kwok ($WORK)"
start etcd etcd --name test --data-dir "$WORK/etcd" --unsafe-no-fsync --log-level warn \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "test=http://127.0.0.1:$ETCD_PEER_PORT"
# --endpoint-reconciler-type none: the API server on 127.0.0.1 cannot publish itself in the
# `kubernetes` Endpoints (loopback addresses are invalid there), which nothing here needs.
start kube-apiserver kube-apiserver --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" --client-ca-file "$pki/ca.crt" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --service-cluster-ip-range 10.96.0.0/16 --authorization-mode RBAC --endpoint-reconciler-type none \
  --admission-control-config-file "$WORK/admission.yaml" \
  --audit-policy-file "$WORK/audit-policy.yaml" --audit-log-path "$WORK/logs/audit.jsonl" --audit-log-format json
until_ok 120 "kube-apiserver /readyz" kubectl get --raw /readyz

# Neither serves anything (--secure-port 0): the test reads the state they write.
start kube-controller-manager kube-controller-manager --kubeconfig "$KUBECONFIG" \
  --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false --use-service-account-credentials \
  --root-ca-file "$pki/ca.crt" --service-account-private-key-file "$pki/sa.key" \
  --service-cluster-ip-range 10.96.0.0/16
start kube-scheduler kube-scheduler --kubeconfig "$KUBECONFIG" \
  --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false

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
log "cluster $(kubectl version -o json | sed -nE 's/.*"gitVersion": "(v[^"]+)".*/\1/p' | tail -1) ready in $(( $(date +%s) - START ))s"

export CLUSTER_AUDIT_LOG="$WORK/logs/audit.jsonl" CLUSTER_WORK_DIR="$WORK"
(cd "$ROOT" && npx jest --config test/cluster/jest.config.js --runInBand "$@")
log "done in $(( $(date +%s) - START ))s"
