#!/usr/bin/env bash
# Stop what setup.sh started (our dockerd and registries, found by their pid files). An engine that
# setup.sh reused is never touched. State and cache stay; the next setup.sh starts from them.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/paths.sh
source "$HERE/lib/paths.sh"
# shellcheck source=lib/common.sh
source "$HERE/lib/common.sh"
run=$SLIPWAY_TESTWORLD_STATE/run

# stop_pid PIDFILE COMM SECONDS
stop_pid() {
  pid_alive "$1" "$2" || { rm -f "$1"; return 0; }
  local pid; pid=$(cat "$1")
  kill "$pid"
  wait_for "$3" sh -c "! kill -0 $pid" || { warn "$2 (pid $pid) ignored SIGTERM for $3 s; killing it"; kill -9 "$pid"; }
  rm -f "$1"
  log "stopped $2 (pid $pid)"
}
# dockerd stops its containers first (10 s each by default) and removes its own pid file
stop_pid "$run/dockerd.pid" dockerd 60
for name in mirror auth plain token; do stop_pid "$run/registry-$name.pid" docker-registry 10; done
rm -f "$SLIPWAY_WORLD"
