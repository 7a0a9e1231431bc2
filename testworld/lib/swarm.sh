# A 3-node Docker Swarm of Engine 26 (Debian trixie's docker.io) in containers on the test world's
# engine, for deploy tests. Sourced by swarm.sh after paths.sh, common.sh, rootfs.sh (debian_mirror)
# and registries.sh (the registry addresses, registry_answers). See README.md, "The swarm".
#
# Everything it makes is named slipway-swarm* and carries the label org.slipway.testworld.swarm, so
# `down` removes exactly that and nothing else on the host. The host engine never enters swarm mode.
# shellcheck shell=bash disable=SC2034  # sets variables that swarm.sh reads

SWARM_LABEL=org.slipway.testworld.swarm
SWARM_NETWORK=slipway-swarm
SWARM_BRIDGE=slipway-swarm0           # the host's interface name for the network (<= 15 chars)
# A /24 outside Docker's default pools (172.17-31/16, 192.168/20), so no network the host engine
# makes for anyone else can take it. SLIPWAY_SWARM_SUBNET moves it (a.b.c.0/24) on a host that routes it.
SWARM_SUBNET=${SLIPWAY_SWARM_SUBNET:-10.213.47.0/24}
SWARM_NET3=${SWARM_SUBNET%.0/24}
SWARM_GATEWAY=$SWARM_NET3.1
SWARM_NODES=(slipway-swarm-1 slipway-swarm-2 slipway-swarm-3)
# Fixed addresses: swarm's raft membership remembers them, so a restarted node must come back on its own.
SWARM_IPS=("$SWARM_NET3.11" "$SWARM_NET3.12" "$SWARM_NET3.13")
# Overlay networks (ingress included) exist only inside the nodes; this pool is outside the host's too.
SWARM_ADDR_POOL=10.214.0.0/16
SWARM_ADDR_POOL_MASK=24
# The host's registries (registries.sh) and the token realm's port (test/support/token-issuer.ts):
# each node reaches them on its own 127.0.0.1 under the same names Slipway pins.
SWARM_RELAY_PORTS=(5001 5002 5003 5004 5005)
SWARM_ENGINE_MAJOR=26
SWARM_PACKAGES=docker.io,docker-cli,iptables,ca-certificates,fuse-overlayfs,iproute2,procps,tini,socat
SWARM_DIR=$SLIPWAY_TESTWORLD_STATE/swarm
SWARM_JSON=$SLIPWAY_TESTWORLD_STATE/swarm.json

# The host's engine has no CAP_SYS_RESOURCE in its bounding set on these VMs, so `--privileged`
# fails ("unable to apply caps"): everything else privileged gives, and the entrypoint makes /sys
# and the cgroup mounts writable. /run is a fresh tmpfs on every start (no stale pid files or
# containerd sockets after a restart); /run/slipway is the host's folder holding the socket.
SWARM_RUN_FLAGS=(
  --cap-add ALL --cap-drop SYS_RESOURCE
  --security-opt seccomp=unconfined --security-opt systempaths=unconfined --security-opt apparmor=unconfined
  --device-cgroup-rule 'a *:* rwm' --cgroupns private
  --tmpfs /run:rw,exec,mode=755 --tmpfs /tmp:rw,exec,mode=1777
)

# The node's PID 1 is tini; this runs under it as `sh -c`, then execs dockerd with the arguments.
# The relays forward the node's 127.0.0.1:PORT to the host's relay on the network's gateway.
# shellcheck disable=SC2016  # expanded in the node
SWARM_ENTRYPOINT='set -e
mount -o remount,rw /sys 2>/dev/null || echo "slipway-swarm: cannot remount /sys rw" >&2
for m in $(awk '\''$3=="cgroup"||$3=="cgroup2"{print $2}'\'' /proc/self/mounts); do
  mount -o remount,bind,rw "$m" 2>/dev/null || echo "slipway-swarm: cannot remount $m rw" >&2
done
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  # cgroup v2: move ourselves out of the root cgroup so that dockerd may enable the controllers
  mkdir -p /sys/fs/cgroup/init
  xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/init/cgroup.procs 2>/dev/null || true
  sed -e "s/ / +/g" -e "s/^/+/" < /sys/fs/cgroup/cgroup.controllers > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
fi
[ -e /dev/fuse ] || mknod -m 666 /dev/fuse c 10 229 2>/dev/null || true
if [ -d /sys/kernel/security ] && ! mountpoint -q /sys/kernel/security; then
  mount -t securityfs none /sys/kernel/security 2>/dev/null || true
fi
# Names outside the network never resolve here (it is --internal), but the embedded DNS takes 5 s
# per try to say so, and dockerd looks a name up on every pull through the mirror (10 s a pull).
# Nothing listens on the node'"'"'s 127.0.0.1:53: "no such host" at once. The nodes are in /etc/hosts.
echo "nameserver 127.0.0.1" > /etc/resolv.conf
for p in $SLIPWAY_SWARM_RELAY_PORTS; do
  socat "TCP-LISTEN:$p,bind=127.0.0.1,fork,reuseaddr" "TCP:$SLIPWAY_SWARM_GATEWAY:$p" &
done
exec dockerd "$@"'

# dockerd's arguments in every node. 127.0.0.0/8 is an insecure registry by default.
SWARM_DOCKERD_ARGS=(
  --host=unix:///run/slipway/docker.sock --host=unix:///var/run/docker.sock
  --registry-mirror=http://127.0.0.1:5001
  --log-level=warn
  --group=root   # the socket on the host: root only (the node's docker group id is some other host group)
)

swarm_socket() { echo "$SWARM_DIR/$1/docker.sock"; }
swarm_endpoint() { echo "unix://$(swarm_socket "$1")"; }
# dn NODE ARGS...: the docker CLI against a node's engine
dn() { local n=$1; shift; docker --host "$(swarm_endpoint "$n")" "$@"; }
swarm_node_ping() {
  [ "$(curl -s --max-time 3 --unix-socket "$(swarm_socket "$1")" http://localhost/_ping 2>/dev/null)" = OK ]
}

# --- the node image: debootstrap'd trixie, cached as a tar ---------------------------------------

swarm_slim_rootfs() {
  local r=$1 mirror=$2
  rm -f "$r/etc/apt/sources.list"
  printf 'Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$mirror" > "$r/etc/apt/sources.list.d/debian.sources"
  printf '#!/bin/sh\nexit 101\n' > "$r/usr/sbin/policy-rc.d"; chmod 755 "$r/usr/sbin/policy-rc.d"
  rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/cache/apt/*.bin "$r"/var/lib/apt/lists/* \
    "$r"/usr/share/doc/* "$r"/usr/share/man/* "$r"/usr/share/info/* "$r"/usr/share/locale/* \
    "$r"/var/log/*.log "$r"/var/log/apt/* "$r"/tmp/* "$r"/var/tmp/*
  : > "$r/etc/hostname"; : > "$r/etc/resolv.conf"
}

# The tar's name carries a hash of what makes it, so a changed recipe or mirror builds a new one.
swarm_rootfs_tar() {
  local key
  key=$( { echo "$SWARM_PACKAGES"; debian_mirror; declare -f swarm_slim_rootfs; } | sha256sum | cut -c1-12)
  echo "$SLIPWAY_TESTWORLD_CACHE/swarm-node-trixie-$key.tar"
}

swarm_build_rootfs() {
  local tar=$1 tmp=$SWARM_DIR/rootfs mirror logf=$SLIPWAY_TESTWORLD_STATE/log/swarm-debootstrap.log rc=0 on_tmpfs=0
  [ "$(id -u)" = 0 ] || die "building the swarm's node image needs root (debootstrap); its cache $tar is missing"
  command -v debootstrap >/dev/null || die "no debootstrap (Debian: apt-get install debootstrap; bash testworld/setup.sh installs it)"
  mirror=$(debian_mirror)
  mkdir -p "$SWARM_DIR"
  if mountpoint -q "$tmp"; then umount "$tmp"; fi
  rm -rf "$tmp"; mkdir -p "$tmp"
  # dpkg's fsyncs cost nothing on tmpfs (the unpacked tree is ~450 MB)
  if mount -t tmpfs -o size=2g,mode=755 slipway-swarm-rootfs "$tmp" 2>/dev/null; then on_tmpfs=1; fi
  log "debootstrap trixie + docker.io from $mirror (log: $logf)"
  debootstrap --variant=minbase --include="$SWARM_PACKAGES" trixie "$tmp" "$mirror" >"$logf" 2>&1 || rc=$?
  if [ $rc = 0 ]; then
    swarm_slim_rootfs "$tmp" "$mirror"
    rm -f "$SLIPWAY_TESTWORLD_CACHE"/swarm-node-trixie-*.tar   # an older recipe's
    tar --numeric-owner --xattrs -C "$tmp" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar" || rc=$?
  fi
  if [ $on_tmpfs = 1 ]; then umount "$tmp"; fi
  rm -rf "$tmp"
  [ $rc = 0 ] || die "debootstrap trixie from $mirror failed" "$logf"
}

# Sets SWARM_IMAGE and SWARM_IMAGE_HOW (reused | imported | built).
swarm_ensure_image() {
  local tar; tar=$(swarm_rootfs_tar)
  SWARM_IMAGE=slipway-swarm-node:$(basename "$tar" .tar | sed 's/^swarm-node-trixie-//')
  SWARM_IMAGE_HOW=reused
  docker image inspect "$SWARM_IMAGE" >/dev/null 2>&1 && return 0
  if [ -s "$tar" ]; then SWARM_IMAGE_HOW=imported; else swarm_build_rootfs "$tar"; SWARM_IMAGE_HOW=built; fi
  docker import -c "LABEL $SWARM_LABEL=image" -c 'ENTRYPOINT ["tini", "--"]' "$tar" "$SWARM_IMAGE" >/dev/null ||
    die "docker import of $tar failed"
  # an older recipe's image, unless a node still runs it (it is recreated below, then the next up removes it)
  local old
  for old in $(docker image ls --filter "label=$SWARM_LABEL=image" --format '{{.Repository}}:{{.Tag}}'); do
    [ "$old" = "$SWARM_IMAGE" ] || docker image rm "$old" >/dev/null 2>&1 || true
  done
}

# --- network and relays -------------------------------------------------------------------------

# Another route into our subnet (a VPN, a LAN, someone's bridge) would make the nodes unreachable.
swarm_check_subnet() {
  [[ $SWARM_SUBNET =~ ^[0-9]+\.[0-9]+\.[0-9]+\.0/24$ ]] || die "SLIPWAY_SWARM_SUBNET must be a.b.c.0/24, not $SWARM_SUBNET"
  local clash
  clash=$( { ip -4 route show root "$SWARM_SUBNET"; ip -4 route show match "$SWARM_SUBNET"; } 2>/dev/null |
    grep -v '^default' | grep -v " dev $SWARM_BRIDGE " || true)
  [ -z "$clash" ] || die "the host already routes into $SWARM_SUBNET ($clash); set SLIPWAY_SWARM_SUBNET to a free a.b.c.0/24"
}

# --internal: the nodes reach nothing beyond the network (no NAT to the outside): the registries
# come through the relays, and a pull the mirror misses fails instead of leaving the machine.
swarm_ensure_network() {
  local have
  have=$(docker network inspect "$SWARM_NETWORK" --format '{{(index .IPAM.Config 0).Subnet}} {{index .Labels "'$SWARM_LABEL'"}}' 2>/dev/null || true)
  [ "$have" = "$SWARM_SUBNET network" ] && return 0
  if [ -n "$have" ]; then
    [[ $have == *" network" ]] || die "a network named $SWARM_NETWORK exists that the test world did not make; remove it or rename it"
    log "network $SWARM_NETWORK has another subnet ($have): re-creating it with its nodes"
    swarm_remove_nodes
    docker network rm "$SWARM_NETWORK" >/dev/null
  fi
  swarm_check_subnet
  docker network create --driver bridge --internal --subnet "$SWARM_SUBNET" --gateway "$SWARM_GATEWAY" \
    --opt com.docker.network.bridge.name="$SWARM_BRIDGE" --label "$SWARM_LABEL=network" "$SWARM_NETWORK" >/dev/null
}

swarm_relay_pidfile() { echo "$SLIPWAY_TESTWORLD_STATE/run/swarm-relay-$1.pid"; }

# One socat per port on the network's gateway (the host side of the bridge, reachable only from
# this host and its containers) to the registry on the host's 127.0.0.1.
swarm_ensure_relays() {
  local p pidfile
  for p in "${SWARM_RELAY_PORTS[@]}"; do
    pidfile=$(swarm_relay_pidfile "$p")
    if pid_alive "$pidfile" socat && grep -qF "bind=$SWARM_GATEWAY" "/proc/$(cat "$pidfile")/cmdline"; then continue; fi
    swarm_stop_relay "$p"
    setsid socat "TCP-LISTEN:$p,bind=$SWARM_GATEWAY,fork,reuseaddr" "TCP:127.0.0.1:$p" \
      >>"$SLIPWAY_TESTWORLD_STATE/log/swarm-relay.log" 2>&1 </dev/null 9>&- &
    echo $! > "$pidfile"
  done
  for p in "${SWARM_RELAY_PORTS[@]}"; do
    wait_for 5 swarm_relay_listens "$p" || die "the relay for port $p does not listen on $SWARM_GATEWAY" "$SLIPWAY_TESTWORLD_STATE/log/swarm-relay.log"
  done
}
swarm_relay_listens() { [ -n "$(ss -ltnH "src $SWARM_GATEWAY and sport = :$1" 2>/dev/null)" ]; }

swarm_stop_relay() {
  local pidfile; pidfile=$(swarm_relay_pidfile "$1")
  if pid_alive "$pidfile" socat; then kill "$(cat "$pidfile")" 2>/dev/null || true; fi
  rm -f "$pidfile"
}

# --- nodes --------------------------------------------------------------------------------------

# What a node container is made of; a node made otherwise (older recipe) is re-created, its volume kept.
swarm_config_hash() {
  { echo "$SWARM_IMAGE $SWARM_SUBNET"; echo "$SWARM_ENTRYPOINT"; printf '%s\n' "${SWARM_RUN_FLAGS[@]}" "${SWARM_DOCKERD_ARGS[@]}" "${SWARM_RELAY_PORTS[@]}"; } |
    sha256sum | cut -c1-16
}

# swarm_start_node INDEX: reuse, start or (re)create the node; wait until its engine answers.
# Prints what it did (reused | started | created) on stdout.
swarm_start_node() {
  local n=${SWARM_NODES[$1]} ip=${SWARM_IPS[$1]} cfg state how
  cfg=$(swarm_config_hash)
  state=$(docker inspect "$n" --format '{{.State.Running}} {{index .Config.Labels "'$SWARM_LABEL.config'"}}' 2>/dev/null || true)
  case $state in
    "true $cfg") how=reused;;
    "false $cfg") how=started; docker start "$n" >/dev/null;;
    *)
      how=created
      if [ -n "$state" ]; then
        docker inspect "$n" --format '{{index .Config.Labels "'$SWARM_LABEL'"}}' | grep -qx node ||
          die "a container named $n exists that the test world did not make; remove it"
        docker rm -f "$n" >/dev/null
      fi
      local hosts=() j
      for j in "${!SWARM_NODES[@]}"; do hosts+=(--add-host "${SWARM_NODES[$j]}:${SWARM_IPS[$j]}"); done
      docker volume create --label "$SWARM_LABEL=node" "$n-lib" >/dev/null
      mkdir -p "$SWARM_DIR/$n"; rm -f "$(swarm_socket "$n")"
      # NO_PROXY names the network: swarm's gRPC between nodes honours the proxy variables too.
      docker run -d --name "$n" --hostname "$n" --label "$SWARM_LABEL=node" --label "$SWARM_LABEL.config=$cfg" \
        --network "$SWARM_NETWORK" --ip "$ip" "${SWARM_RUN_FLAGS[@]}" "${hosts[@]}" \
        -v "$n-lib:/var/lib/docker" -v "$SWARM_DIR/$n:/run/slipway" \
        -e "SLIPWAY_SWARM_GATEWAY=$SWARM_GATEWAY" -e "SLIPWAY_SWARM_RELAY_PORTS=${SWARM_RELAY_PORTS[*]}" \
        -e HTTP_PROXY=http://127.0.0.1:9 -e HTTPS_PROXY=http://127.0.0.1:9 -e "NO_PROXY=localhost,127.0.0.1,::1,$SWARM_SUBNET" \
        "$SWARM_IMAGE" sh -c "$SWARM_ENTRYPOINT" slipway-swarm-entrypoint "${SWARM_DOCKERD_ARGS[@]}" >/dev/null
      ;;
  esac
  if ! wait_for 60 swarm_node_ping "$n"; then
    docker logs --tail 30 "$n" > "$SLIPWAY_TESTWORLD_STATE/log/$n.log" 2>&1 || true
    die "the engine in $n does not answer on $(swarm_socket "$n")" "$SLIPWAY_TESTWORLD_STATE/log/$n.log"
  fi
  echo "$how"
}

# Sets SWARM_NODES_HOW: the most any node needed (reused < started < created).
swarm_start_nodes() {
  local i pids=() out=$SWARM_DIR/start
  mkdir -p "$out"
  for i in "${!SWARM_NODES[@]}"; do swarm_start_node "$i" > "$out/$i" & pids+=($!); done
  for i in "${!pids[@]}"; do wait "${pids[$i]}" || die "starting ${SWARM_NODES[$i]} failed"; done
  SWARM_NODES_HOW=$(cat "$out"/* | sort -u | grep -m1 -x -e created -e started || echo reused)
  rm -rf "$out"
  local v
  for i in "${!SWARM_NODES[@]}"; do
    v=$(dn "${SWARM_NODES[$i]}" version --format '{{.Server.Version}} {{.Server.APIVersion}}')
    [[ $v == "$SWARM_ENGINE_MAJOR".* ]] || die "${SWARM_NODES[$i]} runs Engine $v, not $SWARM_ENGINE_MAJOR.x: Debian trixie's docker.io has moved on; pin it"
    read -r SWARM_ENGINE_VERSION SWARM_ENGINE_API <<<"$v"
  done
}

swarm_remove_nodes() {
  local ids
  ids=$(docker ps -aq --filter "label=$SWARM_LABEL=node")
  [ -z "$ids" ] || docker rm -f -v $ids >/dev/null
  ids=$(docker volume ls -q --filter "label=$SWARM_LABEL=node")
  [ -z "$ids" ] || docker volume rm $ids >/dev/null
}

# --- the swarm ----------------------------------------------------------------------------------

# swarm_info NODE: "STATE NODE_ID CLUSTER_ID" (cluster empty unless the node is a manager)
swarm_info() {
  dn "$1" info --format '{{.Swarm.LocalNodeState}} {{.Swarm.NodeID}} {{if .Swarm.Cluster}}{{.Swarm.Cluster.ID}}{{end}}' 2>/dev/null
}

# The swarm as node 1 sees it: "ID HOSTNAME STATUS AVAILABILITY MANAGER_STATUS" per node (`-` for a
# worker), or failure while it has no leader.
swarm_node_list() {
  dn "${SWARM_NODES[0]}" node ls --format '{{.ID}} {{.Hostname}} {{.Status}} {{.Availability}} {{if .ManagerStatus}}{{.ManagerStatus}}{{else}}-{{end}}'
}

# All three nodes Ready, Active managers, each listed once: the state `up` promises.
swarm_formed() {
  local list n
  list=$(swarm_node_list 2>/dev/null) || return 1
  [ "$(wc -l <<<"$list")" = "${#SWARM_NODES[@]}" ] || return 1
  for n in "${SWARM_NODES[@]}"; do
    grep -qE "^[^ ]+ $n Ready Active (Leader|Reachable)$" <<<"$list" || return 1
  done
}

swarm_init() {
  log "swarm init on ${SWARM_NODES[0]}"
  dn "${SWARM_NODES[0]}" swarm init --advertise-addr "${SWARM_IPS[0]}" --listen-addr "${SWARM_IPS[0]}:2377" \
    --default-addr-pool "$SWARM_ADDR_POOL" --default-addr-pool-mask-length "$SWARM_ADDR_POOL_MASK" "$@" >/dev/null
}

# Sets SWARM_HOW (reused | joined | formed). Three managers: any one may be stopped by a test and
# the other two keep the raft quorum (2 of 3).
swarm_form() {
  SWARM_HOW=reused
  swarm_formed && return 0
  local i n st id cid cid1 members=1
  read -r st id cid1 <<<"$(swarm_info "${SWARM_NODES[0]}")"
  if [ "$st" != active ] || [ -z "$cid1" ]; then
    swarm_reset
  else
    for n in "${SWARM_NODES[@]:1}"; do
      read -r st id cid <<<"$(swarm_info "$n")"
      [ "$st" != active ] || [ "$cid" != "$cid1" ] || members=$((members + 1))
    done
    if [ $members = 1 ]; then
      # the others were wiped or belong elsewhere: node 1 alone can never regain the quorum
      log "${SWARM_NODES[0]} is the only member left of its swarm: --force-new-cluster"
      swarm_init --force-new-cluster
      SWARM_HOW=formed
    fi
    # after a restart the managers elect a leader first (~10 s)
    if ! wait_for 60 swarm_node_list; then
      warn "the swarm on ${SWARM_NODES[0]} has no leader after 60 s: forming a new one"
      swarm_reset
    fi
  fi
  read -r _ _ cid1 <<<"$(swarm_info "${SWARM_NODES[0]}")"
  local token
  token=$(dn "${SWARM_NODES[0]}" swarm join-token -q manager)
  # one manager joins at a time: raft adds members one by one
  for i in "${!SWARM_NODES[@]}"; do
    [ "$i" != 0 ] || continue
    n=${SWARM_NODES[$i]}
    read -r st id cid <<<"$(swarm_info "$n")"
    if [ "$st" = active ]; then
      [ "$cid" != "$cid1" ] || continue
      # a worker (a test demoted it) shows no cluster: ours when node 1 lists it; promoted below
      [ -n "$cid" ] || ! grep -q "^$id " <<<"$(swarm_node_list 2>/dev/null)" || continue
    fi
    [ "$st" = inactive ] || dn "$n" swarm leave --force >/dev/null 2>&1 || true
    log "$n joins as a manager"
    dn "$n" swarm join --token "$token" --advertise-addr "${SWARM_IPS[$i]}" --listen-addr "${SWARM_IPS[$i]}:2377" \
      "${SWARM_IPS[0]}:2377" >/dev/null
    [ "$SWARM_HOW" = formed ] || SWARM_HOW=joined
  done
  swarm_remove_stale
  swarm_restore_roles
  wait_for 60 swarm_formed || die "the swarm did not form: $(swarm_node_list 2>&1 | tr '\n' ';')"
}

swarm_reset() {
  local n
  for n in "${SWARM_NODES[@]}"; do
    [ "$(swarm_info "$n" | cut -d' ' -f1)" = inactive ] || dn "$n" swarm leave --force >/dev/null 2>&1 || true
  done
  swarm_init
  SWARM_HOW=formed
}

# A node that was wiped and joined again is a new member under the same hostname; its old entry
# stays a manager counted in the quorum (seen Ready for a while, then Down) until it is demoted and
# removed. The node with that hostname has another ID now, so the old one can never come back.
swarm_remove_stale() {
  local current="" n id host rest
  for n in "${SWARM_NODES[@]}"; do current+=" $(swarm_info "$n" | cut -d' ' -f2)"; done
  while read -r id host rest; do
    [[ " ${SWARM_NODES[*]} " == *" $host "* ]] && [[ " $current " != *" $id "* ]] || continue
    log "removing the stale swarm member $host ($id)"
    dn "${SWARM_NODES[0]}" node demote "$id" >/dev/null 2>&1 || true
    # the demotion reaches raft a moment later; until then removal is refused
    wait_for 30 dn "${SWARM_NODES[0]}" node rm --force "$id" || die "could not remove the stale swarm member $host ($id)"
  done < <(swarm_node_list 2>/dev/null || true)
}

# A test may demote or drain a node: every node is an Active manager again.
swarm_restore_roles() {
  local id host status avail manager
  while read -r id host status avail manager; do
    [[ " ${SWARM_NODES[*]} " == *" $host "* ]] || continue
    if [ "$manager" = - ]; then log "promoting $host to manager again"; dn "${SWARM_NODES[0]}" node promote "$id" >/dev/null; fi
    if [ "$avail" != Active ]; then log "$host: availability $avail, back to active"; dn "${SWARM_NODES[0]}" node update --availability active "$id" >/dev/null; fi
  done < <(swarm_node_list 2>/dev/null || true)
}

# --- checks and description ---------------------------------------------------------------------

# Inside every node, 127.0.0.1:5001-5004 answer as the host's registries do (200, or 401 with auth):
# the node's relay, the host's relay and the registry all work.
# shellcheck disable=SC2016  # expanded in the node
SWARM_PROBE='for p in 5001 5002 5003 5004; do
  exec 3<>"/dev/tcp/127.0.0.1/$p" || { echo "port $p: no connection"; exit 1; }
  printf "GET /v2/ HTTP/1.0\r\nHost: 127.0.0.1:$p\r\n\r\n" >&3
  read -r _ code _ <&3 || true
  exec 3<&-
  case $code in 200|401) ;; *) echo "port $p: HTTP ${code:-nothing}"; exit 1;; esac
done'
swarm_check_registries() {
  local n pids=() i out
  for n in "${SWARM_NODES[@]}"; do
    docker exec "$n" bash -c "$SWARM_PROBE" > "$SWARM_DIR/$n/probe" 2>&1 & pids+=($!)
  done
  for i in "${!pids[@]}"; do
    n=${SWARM_NODES[$i]}
    wait "${pids[$i]}" || { out=$(cat "$SWARM_DIR/$n/probe"); die "$n cannot reach the host's registries through the relays: $out"; }
    rm -f "$SWARM_DIR/$n/probe"
  done
}

swarm_write_json() {
  local i nodes="" id
  for i in "${!SWARM_NODES[@]}"; do
    id=$(swarm_info "${SWARM_NODES[$i]}" | cut -d' ' -f2)
    nodes+="${SWARM_NODES[$i]} ${SWARM_IPS[$i]} $(swarm_endpoint "${SWARM_NODES[$i]}") $id"$'\n'
  done
  S_NODES=$nodes S_ENGINE_VERSION=$SWARM_ENGINE_VERSION S_ENGINE_API=$SWARM_ENGINE_API \
  S_NETWORK=$SWARM_NETWORK S_SUBNET=$SWARM_SUBNET S_GATEWAY=$SWARM_GATEWAY S_BRIDGE=$SWARM_BRIDGE \
  S_POOL=$SWARM_ADDR_POOL S_POOL_MASK=$SWARM_ADDR_POOL_MASK S_IMAGE=$SWARM_IMAGE S_LABEL=$SWARM_LABEL \
  S_MIRROR=$MIRROR_ADDR S_AUTH=$AUTH_ADDR S_PLAIN=$PLAIN_ADDR S_TOKEN=$TOKEN_ADDR \
  S_UP_US=$1 S_LOCK_US=$SWARM_LOCK_WAIT_US S_HOW="image=$SWARM_IMAGE_HOW nodes=$SWARM_NODES_HOW swarm=$SWARM_HOW" S_STEPS=$SWARM_STEPS \
    node --input-type=module -e '
import { renameSync, writeFileSync } from "node:fs";
const e = process.env;
const out = process.argv[1];
const nodes = e.S_NODES.split("\n").filter(Boolean).map((line) => {
  const [name, ip, dockerHost, nodeId] = line.split(" ");
  return { name, container: name, hostname: name, ip, dockerHost, role: "manager", nodeId, managerAddr: `${ip}:2377` };
});
const how = Object.fromEntries(e.S_HOW.split(" ").map((kv) => kv.split("=")));
const steps = Object.fromEntries(e.S_STEPS.split("\n").filter(Boolean).map((l) => { const [k, v] = l.split("\t"); return [k, Number(v)]; }));
const swarm = {
  schemaVersion: 1,
  createdAt: new Date().toISOString(),
  engine: { version: e.S_ENGINE_VERSION, apiVersion: e.S_ENGINE_API },
  network: { name: e.S_NETWORK, subnet: e.S_SUBNET, gateway: e.S_GATEWAY, bridge: e.S_BRIDGE, internal: true },
  defaultAddrPool: { base: e.S_POOL, maskLength: Number(e.S_POOL_MASK) },
  nodes,
  registries: { mirror: e.S_MIRROR, auth: e.S_AUTH, plain: e.S_PLAIN, token: e.S_TOKEN },
  image: e.S_IMAGE,
  label: e.S_LABEL,
  // seconds: the whole `up`, including lockWaitSeconds spent waiting for a concurrent `up`
  up: { seconds: Number(e.S_UP_US) / 1e6, lockWaitSeconds: Number(e.S_LOCK_US) / 1e6, ...how, steps },
};
writeFileSync(out + ".tmp", JSON.stringify(swarm, null, 2) + "\n");
renameSync(out + ".tmp", out);
' "$SWARM_JSON"
}
