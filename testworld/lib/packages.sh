# Debian packages for a world we manage (root, no engine). Never called when an engine is reused:
# a user's own Docker setup stays exactly as it is.
# shellcheck shell=bash

WORLD_PACKAGES=(
  docker.io        # Engine 20.10 (dockerd + containerd + runc) and a docker CLI
  docker-registry  # distribution registry: the Docker Hub mirror and the publish-test registries
  busybox-static   # the busybox fixture image (FROM scratch)
  debootstrap      # the debian:bookworm-slim fixture base
  apache2-utils    # htpasswd -B for the basic-auth registry
  docker-compose   # compose v1 (1.29.2), a benchmark peer
  socat openssh-server openssh-client  # the ssh:// transport tests (a fake ssh, and a throwaway sshd)
  curl ca-certificates iptables
)

# install_packages [PACKAGE...]: the given ones, or all of WORLD_PACKAGES; only what is missing.
install_packages() {
  local missing=() p
  [ $# -gt 0 ] || set -- "${WORLD_PACKAGES[@]}"
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  command -v apt-get >/dev/null || die "no engine is reachable and this is not a Debian system (no apt-get); start a Docker engine and set DOCKER_HOST"
  log "installing ${missing[*]} (log: $SLIPWAY_TESTWORLD_STATE/log/apt.log)"
  # policy-rc.d: a package's maintainer scripts must not start a docker.service of their own; we start
  # dockerd ourselves with our config, and a second dockerd would fight ours over iptables.
  local policy=/usr/sbin/policy-rc.d own_policy=0
  if [ ! -e $policy ]; then
    printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy && own_policy=1
  fi
  local rc=0
  {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" ||
      { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; }
  } >>"$SLIPWAY_TESTWORLD_STATE/log/apt.log" 2>&1 || rc=$?
  [ $own_policy = 0 ] || rm -f $policy
  [ $rc = 0 ] || die "apt-get install ${missing[*]} failed" "$SLIPWAY_TESTWORLD_STATE/log/apt.log"
  # On a systemd host the package enables docker.service/docker.socket for the next boot; that engine
  # would lack our mirror config, so keep systemd from starting it.
  if [[ " ${missing[*]} " == *" docker.io "* ]] && [ -d /run/systemd/system ]; then
    systemctl disable --now docker.socket docker.service >>"$SLIPWAY_TESTWORLD_STATE/log/apt.log" 2>&1 || true
  fi
}
