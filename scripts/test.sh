#!/usr/bin/env bash
# The README's test command runs this: set up the offline Docker test world (idempotent), then run
# every test file with node's test runner through tsx. Files are passed explicitly: a bare `--test`
# finds no .ts files, and sh's `**` would silently drop nested tests.
#   --unit   only the unit tests (no engine, no test world)
set -euo pipefail
cd "$(dirname "$0")/.."
unit_only=0
for a in "$@"; do case $a in --unit) unit_only=1;; esac; done

# Types first: TypeScript strict is part of the verdict, and tsx alone does not check types.
npx --no-install tsc -p tsconfig.json --noEmit

mapfile -t unit < <(find src -name '*.test.ts' -not -path '*/node_modules/*' | sort)
if [ $unit_only = 1 ]; then
  exec node --import tsx --test --test-reporter=spec "${unit[@]}"
fi

# The end-to-end scenarios run the published CLI, the bundle dist/bin/slipway.js (test/e2e/support.ts):
# build it from these sources first, so that what the tests run is what users run.
npm run build --silent

# The offline Docker test world: reuses a running engine, or (root on Debian) installs and starts
# one with a Docker Hub mirror and registries; writes world.json (see testworld/README.md).
bash testworld/setup.sh
# shellcheck disable=SC1091
source testworld/env.sh   # exports SLIPWAY_WORLD (world.json, read by test/support/world.ts), DOCKER_HOST

mapfile -t integration < <(find test -name '*.test.ts' -not -path '*/fixtures/*' | sort)
node --import tsx --test --test-reporter=spec --test-concurrency="${SLIPWAY_TEST_CONCURRENCY:-4}" \
  "${unit[@]}" "${integration[@]}"
