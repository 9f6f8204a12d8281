#!/usr/bin/env bash
# The images the test node (scripts/test-kubelet.sh) runs, without a registry, as image archives
# in .tools/kubelet-images/ that the node imports into its containerd:
#   - pause: the pod sandbox, test/kubelet/images/pause.c compiled static;
#   - postgres: a stand-in for the official postgres:15 image the chart names, Debian bookworm's
#     postgresql-15 packages (debootstrap) with test/kubelet/images/postgres-entrypoint.sh; it
#     keeps the official image's contract with the chart (docs/kubernetes.md);
#   - slack-metrics: the project's image, as scripts/build-image.sh built it (IMAGE).
# The first two are tagged with a hash of what they are made from and built only when it changes;
# an archive is written again only when its image changed. As root (rootful podman storage).
#
#   bash scripts/build-kubelet-images.sh [IMAGE]     # default IMAGE: localhost/slack-metrics:dev
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGE="${1:-localhost/slack-metrics:dev}"
SOURCES="$ROOT/test/kubelet/images"
OUT="$ROOT/.tools/kubelet-images"
DEBIAN_SUITE=bookworm
POSTGRES_MAJOR=15
# The official image's `postgres` user and group, which the chart's security context names.
POSTGRES_UID=999
export CONTAINERS_CONF="$ROOT/.tools/containers/containers.conf"

log() { printf '[build-kubelet-images] %s\n' "$*" >&2; }
now() { date +%s; }

for tool in podman debootstrap gcc; do
  command -v "$tool" >/dev/null || { log "ERROR: $tool is missing: run 'make tools' (as root)"; exit 1; }
done
[[ $(id -u) -eq 0 ]] || { log "ERROR: the images are built as root (rootful podman storage)"; exit 1; }
[[ -f "$CONTAINERS_CONF" ]] || { log "ERROR: no podman settings: build the project image first ('make image')"; exit 1; }
podman image exists "$IMAGE" || { log "ERROR: no image $IMAGE: build it first ('make image')"; exit 1; }
mkdir -p "$OUT"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# recipe_hash BUILD_FUNCTION FILE...: names an image after what it is made from.
recipe_hash() {
  local build="$1"; shift
  { declare -f "$build"; cat "$@"; } | sha256sum | cut -c1-12
}

# shellcheck source=scripts/lib/debian-mirror.sh
source "$ROOT/scripts/lib/debian-mirror.sh"

build_pause() {
  local rootfs="$WORK/pause"
  mkdir -p "$rootfs"
  gcc -static -O2 -s -o "$rootfs/pause" "$SOURCES/pause.c"
  tar -C "$rootfs" -c . | podman import --quiet \
    --change 'ENTRYPOINT ["/pause"]' --change 'USER 65535:65535' - "$1" >/dev/null
}

build_postgres() {
  local rootfs="$WORK/postgres" pg_bin="/usr/lib/postgresql/$POSTGRES_MAJOR/bin"
  log "making the PostgreSQL $POSTGRES_MAJOR stand-in from Debian $DEBIAN_SUITE ($(debian_mirror)) ..."
  debootstrap --variant=minbase --include="postgresql-$POSTGRES_MAJOR" "$DEBIAN_SUITE" "$rootfs" "$(debian_mirror)" \
    >"$WORK/debootstrap.log" 2>&1 || { tail -n 20 "$WORK/debootstrap.log" >&2; return 1; }
  # The package made its own user and a cluster; the image has the official user ids and no
  # cluster (the entrypoint initialises $PGDATA on first start).
  chroot "$rootfs" groupmod --gid "$POSTGRES_UID" postgres
  chroot "$rootfs" usermod --uid "$POSTGRES_UID" --gid "$POSTGRES_UID" postgres
  rm -rf "$rootfs/var/lib/postgresql/$POSTGRES_MAJOR" "$rootfs/etc/postgresql/$POSTGRES_MAJOR"
  mkdir -p "$rootfs/var/lib/postgresql/data" "$rootfs/var/run/postgresql"
  chroot "$rootfs" chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
  install -m 0755 "$SOURCES/postgres-entrypoint.sh" "$rootfs/usr/local/bin/docker-entrypoint.sh"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/log/* \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
    "$rootfs"/usr/share/locale/* "$rootfs"/tmp/*
  tar -C "$rootfs" -c . | podman import --quiet \
    --change "ENV PATH=$pg_bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change 'ENV PGDATA=/var/lib/postgresql/data' --change 'ENV LANG=C.UTF-8' \
    --change "USER $POSTGRES_UID:$POSTGRES_UID" --change 'EXPOSE 5432' --change 'STOPSIGNAL SIGINT' \
    --change 'ENTRYPOINT ["docker-entrypoint.sh"]' --change 'CMD ["postgres"]' \
    - "$1" >/dev/null
}

# image NAME REF [BUILD_FUNCTION]: builds REF when it is missing, then writes NAME.tar (a
# docker-archive, which keeps the full name for containerd's import) and NAME.name.
image() {
  local name="$1" ref="$2" build="${3:-}" t0 id
  t0=$(now)
  if podman image exists "$ref"; then
    log "ok      $ref"
  elif [[ -n "$build" ]]; then
    log "build   $ref ..."
    "$build" "$ref"
    log "done    $ref in $(( $(now) - t0 ))s"
  fi
  id="$(podman image inspect --format '{{.Id}}' "$ref")"
  if [[ -f "$OUT/$name.tar" && "$(cat "$OUT/$name.id" 2>/dev/null)" == "$id" ]]; then
    return
  fi
  rm -f "$OUT/$name.tar"
  podman save --quiet --format docker-archive --output "$OUT/$name.tar.partial" "$ref"
  mv "$OUT/$name.tar.partial" "$OUT/$name.tar"
  printf '%s\n' "$id" >"$OUT/$name.id"
  printf '%s\n' "$ref" >"$OUT/$name.name"
  log "saved   $ref into ${OUT#"$ROOT"/}/$name.tar ($(( $(stat -c %s "$OUT/$name.tar") / 1000000 )) MB)"
}

image pause "localhost/slack-metrics-pause:$(recipe_hash build_pause "$SOURCES/pause.c")" build_pause
image postgres "localhost/slack-metrics-postgres-standin:$POSTGRES_MAJOR-$(recipe_hash build_postgres "$SOURCES/postgres-entrypoint.sh")" \
  build_postgres
image slack-metrics "$IMAGE"
