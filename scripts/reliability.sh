#!/usr/bin/env bash
# The longer version of the reliability tests that `make test` runs briefly:
# ten times the load and the outage, ten minutes of fuzzing (the API, the
# Events API and the import door each). Run by hand after
# `make tools build`; prints the figures each test reports.
set -euo pipefail
cd "$(dirname "$0")/.."
export RELIABILITY_SCALE="${RELIABILITY_SCALE:-10}" FUZZ_SECONDS="${FUZZ_SECONDS:-600}"
npx jest --ci --testTimeout=1800000 test/rolling-update test/database-outage test/crash-recovery test/api-fuzz test/events-fuzz test/ingestion/import-fuzz
