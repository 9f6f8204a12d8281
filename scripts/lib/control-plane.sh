# Starting and stopping a test Kubernetes control plane (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler from .tools/bin), shared by scripts/test-cluster.sh (kwok
# plays the node) and scripts/test-kubelet.sh (a real kubelet in a sealed network namespace).
# Sourced, not run. The caller sets WORK (an empty directory that it removes) and defines log().
#
#   control_plane_certificates [EXTRA_SAN...]   CA, API server, admin, service-account key in $WORK/pki
#   write_kubeconfig FILE CLIENT               a kubeconfig for $WORK/pki/CLIENT.{crt,key}
#   start_control_plane [KUBE_APISERVER_ARG...] etcd and the three control-plane components
#   stop_on_exit [--remove-work]               on exit, Ctrl-C and TERM: stops what `start` started,
#                                              newest first, and shows its logs after a failure
# shellcheck shell=bash

PIDS=()
API_ADDRESS=127.0.0.1
SERVICE_CIDR=10.96.0.0/16
# Where a node of its own signs in (scripts/test-kubelet.sh), Node,RBAC.
AUTHORIZATION_MODE=RBAC

# start NAME COMMAND...: runs a component in the background, output to logs/NAME.log.
start() {
  local name="$1"; shift
  "$@" >"$WORK/logs/$name.log" 2>&1 &
  PIDS+=("$!")
}

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

# stop_on_exit [--remove-work]: the exit handler of a script that starts components; with
# --remove-work it also removes $WORK, unless KEEP_TEST_FILES=1.
stop_on_exit() {
  REMOVE_WORK="${1:-}"
  trap on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}
on_exit() {
  local status=$?
  trap - EXIT INT TERM
  stop_components
  [[ $status -ne 0 ]] && print_component_logs
  if [[ "$REMOVE_WORK" == --remove-work ]]; then
    if [[ "${KEEP_TEST_FILES:-}" == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  fi
  exit "$status"
}

# The last lines of every component's log, for a run that failed.
print_component_logs() {
  local f
  for f in "$WORK"/logs/*.log; do
    [[ -f "$f" ]] || continue
    printf '\n--- last lines of %s\n' "${f##*/}"; tail -n 15 "$f"
  done
}

# until_ok SECONDS WHAT COMMAND...: retries COMMAND every half second, failing early when a
# component has exited.
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

# issue NAME SUBJECT EXTENSION: a P-256 key and a certificate signed by the test CA.
issue() {
  local pki="$WORK/pki"
  printf '%s\n' "$3" >"$pki/$1.ext"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/$1.key" -subj "$2" 2>/dev/null \
    | openssl x509 -req -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 2 \
      -extfile "$pki/$1.ext" -out "$pki/$1.crt" 2>/dev/null
}

# Certificates: one CA for serving and client certificates, the admin client in system:masters,
# and the service-account signing key. Extra arguments are further subjectAltNames of the API
# server's certificate (IP:... or DNS:...).
# shellcheck disable=SC2120 # the arguments are optional
control_plane_certificates() {
  local pki="$WORK/pki" san="IP:$API_ADDRESS,IP:10.96.0.1,DNS:localhost,DNS:kubernetes.default.svc" extra
  for extra in "$@"; do san+=",$extra"; done
  mkdir -p "$pki"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=slack-metrics-test-ca \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
  issue apiserver /CN=kube-apiserver "subjectAltName=$san"
  issue admin "/O=system:masters/CN=slack-metrics-test-admin" "extendedKeyUsage=clientAuth"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$pki/sa.key" 2>/dev/null
  openssl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub"
}

# write_kubeconfig FILE CLIENT: a kubeconfig for the API server with $WORK/pki/CLIENT's certificate.
write_kubeconfig() {
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: test
    cluster: {server: "https://$API_ADDRESS:$API_PORT", certificate-authority: "$WORK/pki/ca.crt"}
users:
  - name: $2
    user: {client-certificate: "$WORK/pki/$2.crt", client-key: "$WORK/pki/$2.key"}
contexts:
  - name: test
    context: {cluster: test, user: $2}
current-context: test
EOF
}

# start_control_plane [KUBE_APISERVER_ARG...]: etcd, kube-apiserver on $API_ADDRESS:$API_PORT
# (picked here) and, once it is ready, the controller manager and the scheduler. Every namespace
# without a label of its own enforces the restricted Pod Security Standard; the audit log at
# logs/audit.jsonl records every write. KUBECONFIG is the admin's.
# shellcheck disable=SC2120 # the arguments are optional
start_control_plane() {
  local etcd_port etcd_peer_port
  etcd_port=$(free_port) etcd_peer_port=$(free_port) API_PORT=$(free_port)
  export KUBECONFIG="$WORK/kubeconfig"
  write_kubeconfig "$KUBECONFIG" admin
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
  cat >"$WORK/audit-policy.yaml" <<'EOF'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    verbs: [create, update, patch, delete]
  - level: None
EOF
  local pki="$WORK/pki"
  start etcd etcd --name test --data-dir "$WORK/etcd" --unsafe-no-fsync --log-level warn \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
    --initial-cluster "test=http://127.0.0.1:$etcd_peer_port"
  # --endpoint-reconciler-type none: an API server on a loopback address cannot publish itself in
  # the `kubernetes` Endpoints (loopback addresses are invalid there), which nothing here needs.
  start kube-apiserver kube-apiserver --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address "$API_ADDRESS" --advertise-address "$API_ADDRESS" --secure-port "$API_PORT" \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" --client-ca-file "$pki/ca.crt" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" --endpoint-reconciler-type none --authorization-mode "$AUTHORIZATION_MODE" \
    --admission-control-config-file "$WORK/admission.yaml" \
    --audit-policy-file "$WORK/audit-policy.yaml" --audit-log-path "$WORK/logs/audit.jsonl" --audit-log-format json \
    "$@"
  until_ok 120 "kube-apiserver /readyz" kubectl get --raw /readyz

  # Neither serves anything (--secure-port 0): the tests read the state they write.
  start kube-controller-manager kube-controller-manager --kubeconfig "$KUBECONFIG" \
    --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false --use-service-account-credentials \
    --root-ca-file "$pki/ca.crt" --service-account-private-key-file "$pki/sa.key" \
    --service-cluster-ip-range "$SERVICE_CIDR"
  start kube-scheduler kube-scheduler --kubeconfig "$KUBECONFIG" \
    --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false
}

# The server's version as kubectl reports it, for the log.
server_version() {
  kubectl version -o json | sed -nE 's/.*"gitVersion": "(v[^"]+)".*/\1/p' | tail -1
}
