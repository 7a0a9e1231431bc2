# Peers for tests and benchmarks, never used by Slipway itself:
#   compose v2: Debian trixie's docker-compose (2.26.1), fetched with apt inside the debian fixture
#               and cached; in our world also installed as a docker CLI plugin.
#   compose v1: Debian bookworm's docker-compose (1.29.2) package.
# Sets COMPOSE_V2/COMPOSE_V1 to an executable path, or leaves them empty with a reason in UNAVAILABLE.
# shellcheck shell=bash disable=SC2034  # sets variables that setup.sh reads

PLUGIN_DIR=/usr/local/lib/docker/cli-plugins

compose_v2_version() { "$1" version --short 2>/dev/null | sed 's/^v//'; }

fetch_compose_v2() {
  local out=$SLIPWAY_TESTWORLD_CACHE/compose-v2 logf=$SLIPWAY_TESTWORLD_STATE/log/compose-v2.log
  mkdir -p "$out"
  docker image inspect debian:bookworm-slim >/dev/null 2>&1 || return 1
  # Only trixie's index: apt-get download takes its candidate, trixie's docker-compose.
  docker run --rm -v "$out:/out" -e MIRROR="$(debian_mirror)" debian:bookworm-slim bash -euc '
    printf "Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n" \
      "$MIRROR" > /etc/apt/sources.list.d/debian.sources
    apt-get update -q
    cd /tmp && apt-get download -q docker-compose
    dpkg-deb --fsys-tarfile docker-compose_*.deb | tar -xO ./usr/libexec/docker/cli-plugins/docker-compose > /out/docker-compose.new
    chmod 755 /out/docker-compose.new && mv /out/docker-compose.new /out/docker-compose' >"$logf" 2>&1
}

# Cold start: fetch in the background while the fixture images build (called once debian exists).
COMPOSE_FETCH_PID=""
prefetch_compose_v2() {
  [ -x "$SLIPWAY_TESTWORLD_CACHE/compose-v2/docker-compose" ] || { fetch_compose_v2 & COMPOSE_FETCH_PID=$!; }
}

ensure_compose_v2() {
  COMPOSE_V2=""
  local cached=$SLIPWAY_TESTWORLD_CACHE/compose-v2/docker-compose
  [ -z "$COMPOSE_FETCH_PID" ] || wait "$COMPOSE_FETCH_PID" || true
  if [ "$WORLD_MANAGED" = 0 ]; then
    # a reused setup: its own compose plugin if it has one, else ours from the cache folder
    local d
    for d in "$HOME/.docker/cli-plugins" /usr/local/lib/docker/cli-plugins /usr/libexec/docker/cli-plugins /usr/lib/docker/cli-plugins; do
      if [ -x "$d/docker-compose" ] && [[ "$(compose_v2_version "$d/docker-compose")" == 2.* ]]; then COMPOSE_V2=$d/docker-compose; return; fi
    done
  fi
  if [ ! -x "$cached" ] && ! fetch_compose_v2; then
    UNAVAILABLE["compose-v2"]="could not fetch Debian trixie's docker-compose (see $SLIPWAY_TESTWORLD_STATE/log/compose-v2.log)"
    warn "${UNAVAILABLE["compose-v2"]}"; return 0
  fi
  if [[ "$(compose_v2_version "$cached")" != 2.* ]]; then
    UNAVAILABLE["compose-v2"]="$cached does not run (\`$cached version\` failed)"; warn "${UNAVAILABLE["compose-v2"]}"; return 0
  fi
  COMPOSE_V2=$cached
  if [ "$WORLD_MANAGED" = 1 ]; then
    mkdir -p "$PLUGIN_DIR"
    cmp -s "$cached" "$PLUGIN_DIR/docker-compose" || install -m 755 "$cached" "$PLUGIN_DIR/docker-compose"
    COMPOSE_V2=$PLUGIN_DIR/docker-compose
  fi
}

ensure_compose_v1() {
  COMPOSE_V1=""
  # Debian's package answers without starting python (`docker-compose version` takes ~0.6 s)
  if [[ "$(dpkg-query -W -f='${Version}' docker-compose 2>/dev/null)" == 1.* ]] && [ -x /usr/bin/docker-compose ]; then
    COMPOSE_V1=/usr/bin/docker-compose; return
  fi
  local c
  for c in /usr/bin/docker-compose "$(command -v docker-compose || true)"; do
    if [ -x "$c" ] && [[ "$("$c" version --short 2>/dev/null)" == 1.* ]]; then COMPOSE_V1=$c; return; fi
  done
  UNAVAILABLE["compose-v1"]="no docker-compose 1.x (Debian bookworm's docker-compose package has it)"
}
