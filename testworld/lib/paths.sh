# Where the test world keeps its state and its cache. Sourced by env.sh (by the test runner, under
# `set -u`) and by setup.sh/stop.sh, so both agree on where world.json lives.
# The cache holds what is slow to make (debootstrap rootfs, mirror storage) and survives a state wipe;
# both live outside the repository so a fresh clone reuses them.
if [ "$(id -u)" = 0 ]; then
  SLIPWAY_TESTWORLD_STATE=${SLIPWAY_TESTWORLD_STATE:-/var/lib/slipway-testworld}
  SLIPWAY_TESTWORLD_CACHE=${SLIPWAY_TESTWORLD_CACHE:-/var/cache/slipway-testworld}
else
  SLIPWAY_TESTWORLD_STATE=${SLIPWAY_TESTWORLD_STATE:-${XDG_STATE_HOME:-$HOME/.local/state}/slipway-testworld}
  SLIPWAY_TESTWORLD_CACHE=${SLIPWAY_TESTWORLD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/slipway-testworld}
fi
SLIPWAY_WORLD=${SLIPWAY_WORLD:-$SLIPWAY_TESTWORLD_STATE/world.json}
