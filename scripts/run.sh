#!/usr/bin/env bash
# Runs the service from a checkout: schema migrations, the API and the
# scheduler, on DATABASE_URL or, without it, the embedded PostgreSQL under
# .data/. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

port="${PORT:-8080}"
children=()
stop() {
  trap - INT TERM EXIT
  for pid in "${children[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

node dist/apps/worker/main.js migrate

node dist/apps/api/main.js &
children+=("$!")

for _ in $(seq 1 60); do
  if node -e "fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" \
    "http://127.0.0.1:${port}/health/ready"; then break; fi
  if ! kill -0 "${children[0]}" 2>/dev/null; then echo "the API exited; see its output above" >&2; exit 1; fi
  sleep 1
done

cat <<MSG

slack-metrics is running
  API        http://127.0.0.1:${port}/api/v1
  API docs   http://127.0.0.1:${port}/docs
  health     http://127.0.0.1:${port}/health/ready
  metrics    http://127.0.0.1:${port}/metrics
  database   ${DATABASE_URL:+DATABASE_URL}${DATABASE_URL:-embedded PostgreSQL under ${EMBEDDED_PG_DIR:-.data}/}
Ctrl-C stops it.
MSG

wait -n "${children[@]}"
