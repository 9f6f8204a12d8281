#!/usr/bin/env bash
# The inside of scripts/test-kubelet.sh: runs as PID 1 of a PID namespace, in a mount namespace
# of its own and in the network namespace the outer script created (loopback only, no route out).
# Starts the control plane (scripts/lib/control-plane.sh), containerd with the test images,
# CoreDNS, kubelet and kube-proxy, then runs test/kubelet/. Everything it starts dies with it:
# when PID 1 of a PID namespace exits, the kernel kills the rest.
#
#   bash scripts/lib/sealed-node.sh WORK CGROUP_ROOT [jest arguments]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="$ROOT/.tools/bin"
WORK="$1" CGROUP_ROOT="$2"
shift 2
NODE_NAME=slack-metrics-node
# The pod bridge's address is the node's: the only address outside loopback, where the kubelet,
# the NodePorts and the cluster's DNS server listen.
NODE_IP=10.244.0.1
POD_SUBNET=10.244.0.0/24
CLUSTER_CIDR=10.244.0.0/16
export PATH="$BIN:$ROOT/.tools/node/bin:$PATH"
log() { printf '[test-kubelet] %s\n' "$*"; }

# shellcheck source=scripts/lib/control-plane.sh
source "$ROOT/scripts/lib/control-plane.sh"
# The outer script removes $WORK once the namespaces are gone.
stop_on_exit
mkdir -p "$WORK/logs"
export HELM_CACHE_HOME="$WORK/helm/cache" HELM_CONFIG_HOME="$WORK/helm/config" HELM_DATA_HOME="$WORK/helm/data"
START=$(date +%s)

# containerd, runc and the CNI plugins write to a few fixed paths (shim sockets in
# /run/containerd/s, the CNI result cache in /var/lib/cni): private tmpfs hide them from the host.
mount -t tmpfs -o mode=755 slack-metrics-run /run
mount -t tmpfs -o mode=755 slack-metrics-var-lib /var/lib
# The kubelet sets six kernel-wide sysctls to its preferred values (kernel.panic,
# kernel.panic_on_oops, vm.overcommit_memory among them) and refuses to start when it may not.
# They are not namespaced, so it reads its own values from files laid over them and writes none.
mkdir -p "$WORK/sysctl"
for setting in vm/overcommit_memory=1 vm/panic_on_oom=0 kernel/panic=10 kernel/panic_on_oops=1 \
  kernel/keys/root_maxkeys=1000000 kernel/keys/root_maxbytes=25000000; do
  key="${setting%=*}"
  printf '%s\n' "${setting#*=}" >"$WORK/sysctl/${key//\//.}"
  mount --bind -o ro "$WORK/sysctl/${key//\//.}" "/proc/sys/$key"
done

# The network: loopback and the pod bridge. Forwarding between pods and the node's addresses
# stays inside this namespace (the sysctls under net/ are per namespace).
ip link set lo up
ip link add cni0 type bridge
ip addr add "$NODE_IP/24" dev cni0
ip link set cni0 up
sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1

log "starting the control plane ($WORK)"
control_plane_certificates "IP:$NODE_IP"
issue kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" "extendedKeyUsage=clientAuth"
issue kube-proxy /CN=system:kube-proxy "extendedKeyUsage=clientAuth"
issue apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "extendedKeyUsage=clientAuth"
AUTHORIZATION_MODE=Node,RBAC
start_control_plane --enable-admission-plugins NodeRestriction \
  --kubelet-client-certificate "$WORK/pki/apiserver-kubelet-client.crt" \
  --kubelet-client-key "$WORK/pki/apiserver-kubelet-client.key" --kubelet-preferred-address-types InternalIP
write_kubeconfig "$WORK/kubelet.kubeconfig" kubelet
write_kubeconfig "$WORK/kube-proxy.kubeconfig" kube-proxy

# containerd: every path under $WORK, the pause image of the test images, runc from the system.
CONTAINERD_SOCKET="$WORK/containerd/containerd.sock"
mkdir -p "$WORK/cni/net.d" "$WORK/cni/ipam"
cat >"$WORK/cni/net.d/10-sealed.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "sealed",
  "plugins": [
    {
      "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$WORK/cni/ipam",
        "ranges": [[{"subnet": "$POD_SUBNET", "gateway": "$NODE_IP"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "backend": "nftables", "capabilities": {"portMappings": true}}
  ]
}
EOF
cat >"$WORK/containerd.toml" <<EOF
version = 3
root = "$WORK/containerd/root"
state = "$WORK/containerd/state"
[grpc]
  address = "$CONTAINERD_SOCKET"
[plugins.'io.containerd.internal.v1.opt']
  path = "$WORK/containerd/opt"
[plugins.'io.containerd.nri.v1.nri']
  disable = true
[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "$(cat "$ROOT/.tools/kubelet-images/pause.name")"
[plugins.'io.containerd.cri.v1.runtime']
  disable_apparmor = true
  # Without CAP_SYS_RESOURCE (as on this kind of host) no process may lower its oom_score_adj,
  # which the kubelet asks for pause containers and Guaranteed pods: keep them at containerd's.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
      BinaryName = "$(command -v runc)"
      Root = "$WORK/containerd/runc"
      SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["$ROOT/.tools/cni/bin"]
    conf_dir = "$WORK/cni/net.d"
[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = "127.0.0.1"
EOF
start containerd containerd --config "$WORK/containerd.toml" --log-level warn
export CONTAINERD_ADDRESS="$CONTAINERD_SOCKET" CONTAINERD_NAMESPACE=k8s.io
until_ok 60 "containerd" ctr version
t0=$(date +%s)
for archive in "$ROOT"/.tools/kubelet-images/*.tar; do
  ctr images import --local "$archive" >/dev/null 2>>"$WORK/logs/ctr.log"
done
# The chart names the official PostgreSQL image; the stand-in answers to that name here only.
ctr images tag "$(cat "$ROOT/.tools/kubelet-images/postgres.name")" docker.io/library/postgres:15 >/dev/null 2>>"$WORK/logs/ctr.log"
log "images imported in $(( $(date +%s) - t0 ))s: $(ctr images list -q 2>>"$WORK/logs/ctr.log" | grep -v '^sha256:' | tr '\n' ' ')"

# CoreDNS answers the cluster's names and refuses everything else: it has no forward plugin.
DNS_READY_PORT=$(free_port)
cat >"$WORK/Corefile" <<EOF
.:53 {
    errors
    ready 127.0.0.1:$DNS_READY_PORT
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $KUBECONFIG test
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    cache 5
}
EOF
start coredns coredns -conf "$WORK/Corefile"
until_ok 60 "CoreDNS ready" curl -fsS "http://127.0.0.1:$DNS_READY_PORT/ready"
printf 'nameserver %s\n' "$NODE_IP" >"$WORK/resolv.conf"

cat >"$WORK/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This host has cgroup v1 only, and PID 1 is not systemd.
failCgroupV1: false
cgroupDriver: cgroupfs
# Pods' cgroups under a hierarchy of this run's own, which the outer script removes.
cgroupRoot: $CGROUP_ROOT
containerRuntimeEndpoint: unix://$CONTAINERD_SOCKET
address: $NODE_IP
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $WORK/pki/ca.crt}
authorization: {mode: AlwaysAllow}
clusterDomain: cluster.local
clusterDNS: [$NODE_IP]
resolvConf: $WORK/resolv.conf
podLogsDir: $WORK/pod-logs
failSwapOn: false
serializeImagePulls: false
# The disk is shared with other work: evict only when it is really full.
evictionHard: {memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2%, nodefs.inodesFree: 2%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
EOF
start kubelet kubelet --config "$WORK/kubelet.yaml" --kubeconfig "$WORK/kubelet.kubeconfig" \
  --root-dir "$WORK/kubelet" --cert-dir "$WORK/kubelet/pki" \
  --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" --v 1

cat >"$WORK/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $WORK/kube-proxy.kubeconfig}
mode: nftables
hostnameOverride: $NODE_NAME
clusterCIDR: $CLUSTER_CIDR
nodePortAddresses: [$NODE_IP/32]
healthzBindAddress: 127.0.0.1:$(free_port)
metricsBindAddress: 127.0.0.1:$(free_port)
# The connection-tracking limits are kernel-wide: leave them as they are.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
start kube-proxy kube-proxy --config "$WORK/kube-proxy.yaml"

until_ok 120 "node $NODE_NAME Ready" kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout 1s
until_ok 60 "the default ServiceAccount" kubectl -n default get serviceaccount default

# Storage: local volumes on this node behind a default StorageClass; a claim binds when its pod
# is scheduled.
kubectl apply -f - >/dev/null <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
EOF
for n in 1 2 3; do
  mkdir -p "$WORK/volumes/pv-$n"
  kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: PersistentVolume
metadata:
  name: local-pv-$n
spec:
  capacity: {storage: 8Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: local
  local: {path: $WORK/volumes/pv-$n}
  nodeAffinity:
    required:
      nodeSelectorTerms:
        - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [$NODE_NAME]}]
EOF
done
log "cluster $(server_version) with node $NODE_NAME ready in $(( $(date +%s) - START ))s"

export NODE_IP CLUSTER_WORK_DIR="$WORK" CLUSTER_AUDIT_LOG="$WORK/logs/audit.jsonl"
(cd "$ROOT" && npx jest --config test/kubelet/jest.config.js --runInBand "$@")
log "done in $(( $(date +%s) - START ))s"
