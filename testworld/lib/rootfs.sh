# debian:bookworm-slim, made locally: debootstrap --variant=minbase, then slimmed the way the official
# image is (dpkg path excludes, apt tweaks, no caches). The tar is cached: debootstrap takes ~30 s.
# shellcheck shell=bash

# The machine's own Debian mirror (deb822 or one-line sources), so the image's apt uses it too.
debian_mirror() {
  local m=""
  [ -r /etc/apt/sources.list.d/debian.sources ] &&
    m=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  [ -n "$m" ] || [ ! -r /etc/apt/sources.list ] ||
    m=$(awk '$1=="deb" && $2 !~ /^\[/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list)
  echo "${m:-http://deb.debian.org/debian}"
}

DEBOOTSTRAP_ARGS=(--variant=minbase bookworm)

# The tar's name carries a hash of what makes it: debootstrap's arguments, the mirror, the slimming.
rootfs_tar() {
  local key
  key=$( { echo "${DEBOOTSTRAP_ARGS[*]}"; debian_mirror; declare -f slim_rootfs; } | sha256sum | cut -c1-12)
  echo "$SLIPWAY_TESTWORLD_CACHE/debian-bookworm-slim-$key.tar"
}

# slim_rootfs DIR MIRROR
slim_rootfs() {
  local r=$1 mirror=$2
  rm -f "$r/etc/apt/sources.list"
  cat > "$r/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  # maintainer scripts run during image builds must not try to start services
  printf '#!/bin/sh\nexit 101\n' > "$r/usr/sbin/policy-rc.d"; chmod 755 "$r/usr/sbin/policy-rc.d"
  cat > "$r/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
  # dpkg without fsync: image builds are throwaway until committed (as in the official image)
  printf 'force-unsafe-io\n' > "$r/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
  printf 'Acquire::Languages "none";\n' > "$r/etc/apt/apt.conf.d/docker-no-languages"
  printf 'Acquire::GzipIndexes "true";\n' > "$r/etc/apt/apt.conf.d/docker-gzip-indexes"
  printf 'APT::AutoRemove::SuggestsImportant "false";\n' > "$r/etc/apt/apt.conf.d/docker-autoremove-suggests"
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' 'path-exclude /usr/share/locale/*' \
    'path-include /usr/share/locale/locale.alias' 'path-exclude /usr/share/groff/*' \
    'path-exclude /usr/share/lintian/*' 'path-exclude /usr/share/linda/*' > "$r/etc/dpkg/dpkg.cfg.d/docker"
  find "$r/usr/share/doc" -mindepth 1 -not -type d -not -name copyright -delete
  find "$r/usr/share/doc" -mindepth 1 -type d -empty -delete
  find "$r/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  rm -rf "$r"/usr/share/{man,info,groff,lintian,linda}/* "$r"/var/cache/apt/archives/*.deb "$r"/var/cache/apt/*.bin \
    "$r"/var/lib/apt/lists/* "$r"/var/log/*.log "$r"/var/log/apt/* "$r"/var/cache/debconf/*-old \
    "$r"/var/lib/dpkg/*-old "$r"/tmp/* "$r"/var/tmp/*
  : > "$r/etc/hostname"; : > "$r/etc/resolv.conf"
}

# Sets ROOTFS_TAR; builds it unless cached. Needs root and debootstrap.
ensure_rootfs() {
  ROOTFS_TAR=$(rootfs_tar)
  [ -s "$ROOTFS_TAR" ] && return 0
  [ "$(id -u)" = 0 ] && command -v debootstrap >/dev/null || return 1
  local tmp=$SLIPWAY_TESTWORLD_STATE/rootfs mirror logf=$SLIPWAY_TESTWORLD_STATE/log/debootstrap.log rc=0 on_tmpfs=0
  mirror=$(debian_mirror)
  if mountpoint -q "$tmp"; then umount "$tmp"; fi
  rm -rf "$tmp"; mkdir -p "$tmp"
  # On tmpfs, dpkg's fsyncs cost nothing: installing the base system takes half the time.
  if mount -t tmpfs -o size=2g,mode=755 slipway-rootfs "$tmp" 2>/dev/null; then on_tmpfs=1; fi
  debootstrap "${DEBOOTSTRAP_ARGS[@]}" "$tmp" "$mirror" >"$logf" 2>&1 || rc=$?
  if [ $rc = 0 ]; then
    slim_rootfs "$tmp" "$mirror"
    tar --numeric-owner --xattrs -C "$tmp" -cf "$ROOTFS_TAR.tmp" . && mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR" || rc=$?
  fi
  if [ $on_tmpfs = 1 ]; then umount "$tmp"; fi
  rm -rf "$tmp"
  [ $rc = 0 ] || die "debootstrap bookworm from $mirror failed" "$logf"
}

# Cold start: debootstrap (~30-50 s, network and xz) runs in the background while apt installs the
# engine and the engine starts; build_images waits for it.
ROOTFS_PID=""
prebuild_rootfs() {
  [ ! -s "$(rootfs_tar)" ] || return 0
  install_packages debootstrap
  ensure_rootfs & ROOTFS_PID=$!
}
wait_rootfs() {
  ROOTFS_TAR=$(rootfs_tar)
  if [ -n "$ROOTFS_PID" ]; then
    wait "$ROOTFS_PID" || die "building the debian rootfs failed" "$SLIPWAY_TESTWORLD_STATE/log/debootstrap.log"
    ROOTFS_PID=""
  fi
  [ -s "$ROOTFS_TAR" ] || ensure_rootfs
}
