# Shared helpers for setup.sh and stop.sh: logging, per-step timing, loud failure.
# shellcheck shell=bash

log() { printf 'testworld: %s\n' "$*" >&2; }
warn() { printf 'testworld: WARNING: %s\n' "$*" >&2; }

# die MESSAGE [LOGFILE]: stop with a clear message, and the tail of a log that explains it.
die() {
  printf '\ntestworld: ERROR: %s\n' "$1" >&2
  if [ -n "${2:-}" ] && [ -s "$2" ]; then
    printf 'testworld: last lines of %s:\n' "$2" >&2
    tail -n 30 "$2" | sed 's/^/    /' >&2
  fi
  exit 1
}

now_us() { local t=${EPOCHREALTIME//[.,]/}; echo "$t"; }
fmt_secs() { local us=$1; printf '%d.%d' $((us / 1000000)) $(((us % 1000000) / 100000)); }

# step NAME FUNCTION [ARGS...]: run one setup step and print how long it took. A failing step aborts
# setup (set -e); the EXIT trap names the step so the message points at what broke.
CURRENT_STEP=""
step() {
  local name=$1; shift
  CURRENT_STEP=$name
  local t0; t0=$(now_us)
  "$@"
  printf 'testworld:   %-34s %6ss\n' "$name" "$(fmt_secs $(($(now_us) - t0)))" >&2
  CURRENT_STEP=""
}
on_exit() {
  local rc=$?
  # background work of ours (debootstrap, builds, the compose fetch) must not outlive a failed setup
  [ $rc = 0 ] || { local j; for j in $(jobs -p); do kill "$j" 2>/dev/null || true; done; }
  if [ $rc -ne 0 ] && [ -n "$CURRENT_STEP" ]; then
    printf 'testworld: setup failed in step "%s" (exit %d); logs are in %s/log\n' \
      "$CURRENT_STEP" "$rc" "$SLIPWAY_TESTWORLD_STATE" >&2
  fi
}

# wait_for SECONDS COMMAND...: poll every 0.1 s until COMMAND succeeds.
wait_for() {
  local deadline=$(($(now_us) + $1 * 1000000)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(now_us)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# pid_alive PIDFILE NAME: the pid in PIDFILE runs a process whose command name is NAME.
# Checking the name guards against a recycled pid after a reboot.
pid_alive() {
  local pid
  [ -s "$1" ] || return 1
  pid=$(cat "$1")
  [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$2" ]
}

http_ok() { curl -fsS -o /dev/null --max-time 2 --noproxy '*' "$1"; }
