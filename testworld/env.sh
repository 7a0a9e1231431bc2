# Sourced by scripts/test.sh: exports what the tests need to find the test world.
# world.json (written by setup.sh) is the single description tests read, through test/support/world.ts.
# shellcheck shell=bash
# shellcheck source=lib/paths.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/paths.sh"
export SLIPWAY_TESTWORLD_STATE SLIPWAY_TESTWORLD_CACHE SLIPWAY_WORLD
# The engine setup.sh found or started; an explicit DOCKER_HOST is always kept.
export DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}
