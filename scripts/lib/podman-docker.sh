#!/usr/bin/env bash
# The `docker` command that skaffold runs in the kubelet stage, so that the project's own
# skaffold.yaml builds and deploys unchanged on a machine without a Docker engine:
#
# - every command goes to the host's podman service (`podman --remote`), whose image store holds
#   the stand-in base image that scripts/build-image.sh made;
# - `build` gets what scripts/build-image.sh gives a build here: no pull (no registry can be
#   reached; skaffold.yaml names the stand-in base through NODE_IMAGE), this network's CA bundle as
#   the Dockerfile's `npm-ca` secret, and the host's network for npm;
# - each image built is then imported into the node's containerd, as a build into Minikube's
#   Docker daemon lands in its node's image store.
#
# Settings (environment): PODMAN_URL (unix://… of `podman system service`), CONTAINERD_ADDRESS
# (the node's containerd socket), CA_BUNDLE (optional).
set -euo pipefail

: "${PODMAN_URL:?PODMAN_URL names the podman service socket}"
podman_remote() { podman --remote --url "$PODMAN_URL" "$@"; }

if [[ "${1:-}" != build ]]; then
  exec podman --remote --url "$PODMAN_URL" "$@"
fi
: "${CONTAINERD_ADDRESS:?CONTAINERD_ADDRESS names the node containerd socket}"
shift

tags=()
args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    -t | --tag) tags+=("$2"); args+=("$1" "$2"); shift 2 ;;
    # BuildKit's flag for "into the local store", which is where podman builds anyway.
    --load) shift ;;
    *) args+=("$1"); shift ;;
  esac
done
[[ ${#tags[@]} -gt 0 ]] || { echo "podman-docker: build without --tag" >&2; exit 2; }

podman_remote build --pull=never --network host \
  --secret id=npm-ca,src="${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}" \
  "${args[@]}"

# Kubernetes resolves a bare name like slack-metrics:TAG to docker.io/library/slack-metrics:TAG;
# podman stored it as localhost/slack-metrics:TAG. The node gets it under the name pods ask for.
node_reference() {
  local first="${1%%/*}"
  if [[ "$1" == */* && ( "$first" == *.* || "$first" == *:* || "$first" == localhost ) ]]; then
    printf '%s\n' "$1"
  elif [[ "$1" == */* ]]; then
    printf 'docker.io/%s\n' "$1"
  else
    printf 'docker.io/library/%s\n' "$1"
  fi
}

ctr_node() { ctr --address "$CONTAINERD_ADDRESS" --namespace k8s.io "$@"; }
for tag in "${tags[@]}"; do
  node_name="$(node_reference "$tag")"
  podman_remote save --format oci-archive "$tag" | ctr_node images import --index-name "$node_name" - >/dev/null
  # An image that is not pushed is deployed by skaffold as NAME:IMAGE-ID, a tag it adds through
  # the daemon's API once this build has returned; the node gets that name now.
  image_id="$(podman_remote image inspect --format '{{.Id}}' "$tag")"
  id_name="$(node_reference "${tag%:*}:${image_id#sha256:}")"
  ctr_node images tag --force "$node_name" "$id_name" >/dev/null
  echo "podman-docker: $tag is on the node as $node_name and $id_name" >&2
done
