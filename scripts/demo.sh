#!/usr/bin/env bash
# The README's main command: sets up the offline Docker world (idempotent), then runs Slipway on the
# bundled example: `slipway doctor`, then `slipway test` (test images built, PostgreSQL up and
# healthy, migration, unit and integration tests in containers, reports copied out, torn down).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
source testworld/env.sh
bash testworld/setup.sh

echo "== slipway doctor"
node bin/slipway-dev.mjs doctor

echo "== slipway test (examples/todobackend)"
cd examples/todobackend
exec node ../../bin/slipway-dev.mjs test
