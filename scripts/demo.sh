#!/usr/bin/env bash
# The README's main command: sets up the offline Docker world (idempotent), then runs Slipway on
# the bundled example: doctor, then the example's test environment through Slipway's compose
# runner (database up and healthy, migration, the test suite in a container, exit code kept).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
source testworld/env.sh
bash testworld/setup.sh
slipway() { node bin/slipway-dev.mjs "$@"; }

echo "== slipway doctor"
slipway doctor

example=examples/todobackend
project="demo-$$"
echo "== slipway compose run (the example's tests, with PostgreSQL, in containers)"
status=0
slipway compose -f "$example/docker-compose.test.yml" -p "$project" run --rm test || status=$?
slipway compose -f "$example/docker-compose.test.yml" -p "$project" down -v -t 1
echo "== tests exited with $status"
exit "$status"
