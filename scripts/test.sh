#!/usr/bin/env bash
# The README's test command runs this: set up the offline Docker test world (idempotent), then run
# every test file with node's test runner through tsx. Files are passed explicitly: a bare `--test`
# finds no .ts files, and sh's `**` would silently drop nested tests.
#   --unit   only the unit tests (no engine, no test world)
set -euo pipefail
cd "$(dirname "$0")/.."
unit_only=0
for a in "$@"; do case $a in --unit) unit_only=1;; esac; done

mapfile -t unit < <(find src -name '*.test.ts' -not -path '*/node_modules/*' | sort)
if [ $unit_only = 1 ]; then
  exec node --import tsx --test --test-reporter=spec "${unit[@]}"
fi

# shellcheck disable=SC1091
source testworld/env.sh   # exports what the tests need to find the world (DOCKER_HOST, registries)
bash testworld/setup.sh

mapfile -t integration < <(find test -name '*.test.ts' -not -path '*/fixtures/*' | sort)
node --import tsx --test --test-reporter=spec --test-concurrency="${SLIPWAY_TEST_CONCURRENCY:-4}" \
  "${unit[@]}" "${integration[@]}"
