# Find a reachable Docker engine, or start our own dockerd on the default socket.
# shellcheck shell=bash disable=SC2034  # sets variables that setup.sh reads

DEFAULT_SOCKET=/var/run/docker.sock

# engine_ping: the engine at $DOCKER_HOST answers. curl for local sockets (no docker CLI needed
# before docker.io is installed), the docker CLI for anything else (tcp, TLS, ssh).
engine_ping() {
  case $DOCKER_HOST in
    unix://*)
      [ -S "${DOCKER_HOST#unix://}" ] || return 1
      if command -v curl >/dev/null; then
        [ "$(curl -s --max-time 3 --unix-socket "${DOCKER_HOST#unix://}" http://localhost/_ping)" = OK ]
      else
        timeout 5 docker version >/dev/null 2>&1
      fi;;
    *) command -v docker >/dev/null && timeout 10 docker version >/dev/null 2>&1;;
  esac
}

our_dockerd_alive() { pid_alive "$SLIPWAY_TESTWORLD_STATE/run/dockerd.pid" dockerd; }

# decide_engine: sets WORLD_MANAGED=1 when the engine is (or will be) ours, 0 when we reuse one.
decide_engine() {
  if [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != "unix://$DEFAULT_SOCKET" ]; then
    engine_ping || die "DOCKER_HOST=$DOCKER_HOST does not answer. Start that engine, or unset DOCKER_HOST to use (or, as root on Debian, start) one on $DEFAULT_SOCKET."
    WORLD_MANAGED=0; return
  fi
  export DOCKER_HOST=unix://$DEFAULT_SOCKET
  if our_dockerd_alive; then WORLD_MANAGED=1; return; fi
  if engine_ping; then WORLD_MANAGED=0; return; fi
  if [ "$(id -u)" != 0 ] && [ -S $DEFAULT_SOCKET ] && [ ! -w $DEFAULT_SOCKET ]; then
    die "$DEFAULT_SOCKET exists but $(id -un) may not use it ($(stat -c '%U:%G %A' $DEFAULT_SOCKET)).
  Add yourself to its group ('sudo usermod -aG $(stat -c %G $DEFAULT_SOCKET) $(id -un)', then log in again),
  or point DOCKER_HOST at an engine you may use."
  fi
  if [ "$(id -u)" != 0 ]; then
    die "no Docker engine answers on $DOCKER_HOST, and only root can start one here.
  Either start Docker (Docker Desktop, 'sudo systemctl start docker', or 'sudo dockerd &'),
  or point DOCKER_HOST at a running engine, or run 'sudo bash testworld/setup.sh' once on Debian
  to install and start the offline test world's own engine."
  fi
  # Two dockerds on one host fight over iptables chains: never start a second one.
  local other
  other=$(pgrep -x dockerd | head -n1 || true)
  [ -z "$other" ] || die "a dockerd (pid $other) runs but does not answer on $DEFAULT_SOCKET; a second one would fight it over iptables. Stop it, or set DOCKER_HOST to its socket."
  WORLD_MANAGED=1
}

write_daemon_json() {
  local dir=$SLIPWAY_TESTWORLD_STATE
  cat > "$dir/etc/daemon.json.new" <<JSON
{
  "pidfile": "$dir/run/dockerd.pid",
  "registry-mirrors": ["http://$MIRROR_ADDR"],
  "insecure-registries": ["127.0.0.0/8"],
  "storage-driver": "overlay2",
  "log-driver": "json-file",
  "log-opts": {"max-size": "10m", "max-file": "2"}
}
JSON
  if [ -f "$dir/etc/daemon.json" ] && ! cmp -s "$dir/etc/daemon.json.new" "$dir/etc/daemon.json" && our_dockerd_alive; then
    warn "daemon.json changed; the running dockerd keeps its old config until 'bash testworld/stop.sh && bash testworld/setup.sh'"
  fi
  mv "$dir/etc/daemon.json.new" "$dir/etc/daemon.json"
}

start_engine() {
  local dir=$SLIPWAY_TESTWORLD_STATE logf=$SLIPWAY_TESTWORLD_STATE/log/dockerd.log
  write_daemon_json
  if ! our_dockerd_alive; then
    # every container start and stop logs a dozen lines: keep one old log, start a new one
    [ "$(stat -c %s "$logf" 2>/dev/null || echo 0)" -lt 50000000 ] || mv "$logf" "$logf.1"
    printf '\n==== %s setup.sh starts dockerd\n' "$(date -Is)" >>"$logf"
    # A pull that misses the mirror would go to Docker Hub: send it to a dead local port so it fails in
    # milliseconds and no traffic leaves the machine. Loopback (the registries) bypasses the proxy.
    HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY=localhost,127.0.0.1,::1 \
      setsid dockerd --config-file "$dir/etc/daemon.json" >>"$logf" 2>&1 </dev/null 9>&- &
    local pid=$!
    local i
    for _ in $(seq 300); do
      engine_ping && break
      kill -0 $pid 2>/dev/null || die "dockerd exited during startup" "$logf"
      sleep 0.1
    done
  fi
  wait_for 30 engine_ping || die "dockerd (pid $(cat "$dir/run/dockerd.pid" 2>/dev/null)) does not answer on $DOCKER_HOST" "$logf"
}
