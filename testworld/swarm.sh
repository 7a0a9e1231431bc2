#!/usr/bin/env bash
# A 3-node Docker Swarm (Engine 26, Debian trixie's docker.io) in containers on the test world's
# engine, for deploy tests; described in $SLIPWAY_TESTWORLD_STATE/swarm.json. See README.md.
#
#   bash testworld/swarm.sh up       idempotent: reuses nodes that answer and a swarm that is formed;
#                                    prints swarm.json's path on stdout
#   bash testworld/swarm.sh status   says whether it is up (exit 0) or not (exit 1)
#   bash testworld/swarm.sh down [--purge]
#                                    removes the nodes, their volumes, the network and the relays;
#                                    --purge also the node image and its cached rootfs tar
set -euo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/paths.sh
source "$HERE/lib/paths.sh"
for f in common rootfs registries swarm; do
  # shellcheck disable=SC1090
  source "$HERE/lib/$f.sh"
done
export DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}

# common.sh's on_exit speaks of setup.sh: the same, for this script
swarm_on_exit() {
  local rc=$?
  [ $rc = 0 ] || { local j; for j in $(jobs -p); do kill "$j" 2>/dev/null || true; done; }
  if [ $rc -ne 0 ] && [ -n "$CURRENT_STEP" ]; then
    printf 'testworld: swarm.sh failed in step "%s" (exit %d); logs are in %s/log\n' \
      "$CURRENT_STEP" "$rc" "$SLIPWAY_TESTWORLD_STATE" >&2
  fi
}
trap swarm_on_exit EXIT

usage() { sed -n '5,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

lock() {
  mkdir -p "$SLIPWAY_TESTWORLD_STATE"/{run,log} "$SLIPWAY_TESTWORLD_CACHE"
  # Concurrent test processes each call `up`: one at a time. Daemons started here get 9>&-.
  exec 9>"$SLIPWAY_TESTWORLD_STATE/run/swarm.lock"
  flock 9
}

preflight() {
  local c
  for c in docker curl socat ss node; do
    command -v "$c" >/dev/null || die "the swarm needs $c on this host (Debian: bash testworld/setup.sh installs it)"
  done
  # the relays and the nodes' bind-mounted sockets live on this host, so its engine must too
  [[ $DOCKER_HOST == unix://* ]] || die "the swarm runs on an engine of this host (a unix socket), not $DOCKER_HOST"
}

# The nodes pull through the host's registries: the test world must be up (setup.sh is idempotent).
ensure_world() {
  if [ -s "$SLIPWAY_WORLD" ] && registry_answers "$MIRROR_ADDR" && registry_answers "$PLAIN_ADDR"; then return 0; fi
  log "the test world's registries do not answer: running setup.sh"
  bash "$HERE/setup.sh" 9>&-
  registry_answers "$MIRROR_ADDR" && registry_answers "$PLAIN_ADDR" ||
    die "the test world has no mirror ($MIRROR_ADDR) and plain registry ($PLAIN_ADDR) on this host's loopback; the swarm's nodes pull through them"
}

SWARM_STEPS=""
swarm_step() {
  local name=$1 t0; t0=$(now_us)
  step "$@"
  SWARM_STEPS+="$name"$'\t'"$(fmt_secs $(($(now_us) - t0)))"$'\n'
}

cmd_up() {
  local t0; t0=$(now_us)
  preflight
  lock
  SWARM_LOCK_WAIT_US=$(($(now_us) - t0))
  swarm_step "test world (setup.sh if needed)" ensure_world
  swarm_step "node image (cached)" swarm_ensure_image
  swarm_step "network $SWARM_SUBNET" swarm_ensure_network
  swarm_step "registry relays" swarm_ensure_relays
  swarm_step "nodes" swarm_start_nodes
  swarm_step "swarm" swarm_form
  swarm_step "registries from every node" swarm_check_registries
  swarm_write_json "$(($(now_us) - t0))"
  printf 'testworld:   %-34s %6ss   (image %s, nodes %s, swarm %s; %s)\n' "swarm TOTAL" "$(fmt_secs $(($(now_us) - t0)))" \
    "$SWARM_IMAGE_HOW" "$SWARM_NODES_HOW" "$SWARM_HOW" "$SWARM_JSON" >&2
  echo "$SWARM_JSON"
}

cmd_status() {
  local n i up=1 state
  for i in "${!SWARM_NODES[@]}"; do
    n=${SWARM_NODES[$i]}
    state=$(docker inspect "$n" --format '{{.State.Status}}' 2>/dev/null) || state=absent
    if [ "$state" = running ] && swarm_node_ping "$n"; then
      printf '%s  %-13s %s  engine %s, swarm %s\n' "$n" "${SWARM_IPS[$i]}" "$(swarm_endpoint "$n")" \
        "$(dn "$n" version --format '{{.Server.Version}}' 2>/dev/null)" "$(swarm_info "$n" | cut -d' ' -f1)"
    else
      printf '%s  %-13s container %s, engine not answering\n' "$n" "${SWARM_IPS[$i]}" "$state"; up=0
    fi
  done
  local p
  for p in "${SWARM_RELAY_PORTS[@]}"; do pid_alive "$(swarm_relay_pidfile "$p")" socat || { echo "relay for port $p: not running"; up=0; }; done
  if [ $up = 1 ] && swarm_formed; then
    echo "swarm: up (${#SWARM_NODES[@]} Ready managers; $SWARM_JSON)"
  else
    [ $up = 0 ] || echo "swarm: not formed ($(swarm_node_list 2>&1 | tr '\n' ';'))"
    echo "swarm: down (bash testworld/swarm.sh up)"; return 1
  fi
}

cmd_down() {
  local purge=0
  [ "${1:-}" != --purge ] || purge=1
  lock
  swarm_remove_nodes
  local ids
  ids=$(docker network ls -q --filter "label=$SWARM_LABEL")
  [ -z "$ids" ] || docker network rm $ids >/dev/null
  local p
  for p in "${SWARM_RELAY_PORTS[@]}"; do swarm_stop_relay "$p"; done
  if mountpoint -q "$SWARM_DIR/rootfs" 2>/dev/null; then umount "$SWARM_DIR/rootfs"; fi
  rm -rf "$SWARM_DIR" "$SWARM_JSON" "$SWARM_JSON.tmp"
  if [ $purge = 1 ]; then
    ids=$(docker image ls -q --filter "label=$SWARM_LABEL=image" | sort -u)
    [ -z "$ids" ] || docker image rm -f $ids >/dev/null
    rm -f "$SLIPWAY_TESTWORLD_CACHE"/swarm-node-trixie-*.tar "$SLIPWAY_TESTWORLD_CACHE"/swarm-node-trixie-*.tar.tmp
  fi
  log "swarm: down$([ $purge = 0 ] || echo ', image and cache purged')"
}

case ${1:-} in
  up) cmd_up;;
  status) cmd_status;;
  down) shift; cmd_down "$@";;
  *) usage;;
esac
