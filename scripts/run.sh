#!/usr/bin/env bash
# Runs the service from a checkout: schema migrations, sample data when no
# Slack workspace is configured, the API and the scheduler, on DATABASE_URL
# or, without it, the embedded PostgreSQL under .data/. Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."

port="${PORT:-8080}"
data_dir="${EMBEDDED_PG_DIR:-.data}"
children=()
stop() {
  trap - INT TERM EXIT
  for pid in "${children[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

# Without configured tokens, a local admin token (admin may also read) is
# made once and kept beside the embedded database, so the API is usable at once.
if [[ -z "${API_TOKENS:-}" && -z "${API_ADMIN_TOKENS:-}" ]]; then
  mkdir -p "$data_dir"
  token_file="$data_dir/local-api-token"
  if [[ ! -s "$token_file" ]]; then
    (umask 077 && node -e "process.stdout.write(require('node:crypto').randomBytes(24).toString('hex'))" >"$token_file")
  fi
  API_ADMIN_TOKENS="$(cat "$token_file")"
  export API_ADMIN_TOKENS
fi

node dist/apps/worker/main.js migrate
if [[ -z "${SLACK_BOT_TOKEN:-}" ]]; then
  echo "No SLACK_BOT_TOKEN: loading the sample workspace (skipped when data is already there)."
  node dist/apps/worker/main.js demo
fi

node dist/apps/api/main.js &
children+=("$!")
for _ in $(seq 1 60); do
  if node -e "fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" \
    "http://127.0.0.1:${port}/health/ready"; then break; fi
  if ! kill -0 "${children[0]}" 2>/dev/null; then echo "the API exited; see its output above" >&2; exit 1; fi
  sleep 1
done

node dist/apps/worker/main.js run &
children+=("$!")

token_hint='Bearer <a token from API_TOKENS or API_ADMIN_TOKENS>'
[[ -n "${token_file:-}" ]] && token_hint="Bearer $(cat "$token_file")   (kept in $token_file)"
cat <<MSG

slack-metrics is running
  dashboard  http://127.0.0.1:${port}/dashboard/  sign in with the token below
  API        http://127.0.0.1:${port}/api/v1     Authorization: ${token_hint}
  API docs   http://127.0.0.1:${port}/docs
  health     http://127.0.0.1:${port}/health/ready
  metrics    http://127.0.0.1:${port}/metrics
  database   ${DATABASE_URL:+DATABASE_URL}${DATABASE_URL:-embedded PostgreSQL under ${data_dir}/}
Try:  curl -H 'Authorization: Bearer …' 'http://127.0.0.1:${port}/api/v1/metrics/summary?from=$(date -u -d '-30 days' +%F)&to=$(date -u +%F)'
Ctrl-C stops it.
MSG

wait -n "${children[@]}"
