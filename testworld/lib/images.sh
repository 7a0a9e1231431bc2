# Fixture images (images/images.txt): built from Debian packages into the engine, labelled with a hash
# of their recipe; in a world we manage, also pushed to the mirror under Docker Hub names and the
# mirror's storage cached as a tar, so the next cold start restores instead of building.
# shellcheck shell=bash disable=SC2034  # sets variables that setup.sh reads

FIXTURE_LABEL=org.slipway.testworld.fixtures
export DOCKER_BUILDKIT=0   # Engine 20.10 + a client without buildx: the classic builder

# Fills PRIMARY (names), BUILD_DIR/ALIASES (by primary), PRIMARY_OF (by any name), ALL_NAMES.
read_fixture_list() {
  PRIMARY=(); ALL_NAMES=(); declare -gA BUILD_DIR=() ALIASES=() PRIMARY_OF=()
  local name dir rest a
  while read -r name dir rest; do
    case $name in ''|'#'*) continue;; esac
    PRIMARY+=("$name"); BUILD_DIR[$name]=$dir; ALIASES[$name]=$rest
    for a in "$name" $rest; do PRIMARY_OF[$a]=$name; done
    # shellcheck disable=SC2206
    ALL_NAMES+=("$name" $rest)
  done < "$HERE/images/images.txt"
}

# What the fixtures are made of: their recipes, the rootfs, and the host binaries copied into them.
# Those binaries must be installed before this runs (setup.sh installs busybox-static first), or the
# hash changes between the first and the second setup and every fixture is rebuilt.
fixture_hash() {
  {
    (cd "$HERE" && find images -type f | LC_ALL=C sort | xargs sha256sum)
    declare -f stage_context build_one   # how images are made; comments and other code do not count
    basename "$(rootfs_tar)"
    node --version 2>/dev/null || true
    busybox 2>/dev/null | head -n1 || true
  } | sha256sum | cut -c1-16
}

# image_status: sets NEED[name]=1 for every fixture name the engine lacks or holds from an older
# recipe. An image of that name without our label (a user's real postgres:15) is left alone.
image_status() {
  declare -gA NEED=(); local -A have=() ours_any=() ours_now=(); local n
  while read -r n; do have[$n]=1; done < <(docker image ls --format '{{.Repository}}:{{.Tag}}')
  while read -r n; do ours_any[$n]=1; done < <(docker image ls --filter "label=$FIXTURE_LABEL" --format '{{.Repository}}:{{.Tag}}')
  while read -r n; do ours_now[$n]=1; done < <(docker image ls --filter "label=$FIXTURE_LABEL=$FIXTURE_HASH" --format '{{.Repository}}:{{.Tag}}')
  for n in "${ALL_NAMES[@]}"; do
    if [ -z "${have[$n]:-}" ] || { [ -n "${ours_any[$n]:-}" ] && [ -z "${ours_now[$n]:-}" ]; }; then NEED[$n]=1; fi
  done
}

primary_needed() {
  local p=$1 a
  [ -n "${NEED[$p]:-}" ] && return 0
  for a in ${ALIASES[$p]}; do [ -n "${NEED[$a]:-}" ] && return 0; done
  return 1
}

# tag_aliases PRIMARY: only names we need (never retag over a user's own image).
tag_aliases() {
  local p=$1 a
  for a in ${ALIASES[$p]}; do [ -z "${NEED[$a]:-}" ] || docker tag "$p" "$a"; done
}

# stage_context DIR: a build context in the state folder, with the host files the recipe needs.
# Returns 1 (with SKIP_REASON) when this host cannot provide them.
stage_context() {
  local dir=$1 ctx=$SLIPWAY_TESTWORLD_STATE/build/$1
  rm -rf "$ctx"; mkdir -p "$ctx"; cp -a "$HERE/images/$dir/." "$ctx/"
  case $dir in
    busybox)
      if [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; then
        cp /bin/busybox "$ctx/busybox"
      else
        # no static busybox on the host: take Debian's from inside the debian image
        docker run --rm debian:bookworm-slim sh -c \
          'cd /tmp && apt-get update -qq && apt-get download -qq busybox-static && dpkg-deb --fsys-tarfile busybox-static_*.deb' \
          2>>"$SLIPWAY_TESTWORLD_STATE/log/build-busybox.log" | tar -xO ./bin/busybox > "$ctx/busybox" ||
          { SKIP_REASON="could not get a static busybox"; return 1; }
        chmod 755 "$ctx/busybox"
      fi;;
    node-*)
      local node; node=$(readlink -f "$(command -v node)")
      if [ "$(uname -s)" != Linux ] || [ "$(uname -m)" != "$ENGINE_ARCH" ]; then
        SKIP_REASON="the node fixtures copy the host's node binary, which must be Linux/$ENGINE_ARCH"; return 1
      fi
      [[ "$(node --version)" == v20.* ]] || warn "the host's node is $(node --version): the node:20 fixtures will carry that one"
      local mods; mods=$(npm root -g 2>/dev/null || echo /usr/lib/node_modules)
      [ -d "$mods/npm" ] || { SKIP_REASON="npm not found next to the host's node ($mods)"; return 1; }
      mkdir -p "$ctx/node/bin" "$ctx/node/lib/node_modules"
      cp "$node" "$ctx/node/bin/node"
      cp -a "$mods/npm" "$ctx/node/lib/node_modules/"
      [ ! -d "$mods/corepack" ] || cp -a "$mods/corepack" "$ctx/node/lib/node_modules/"
      cp -L /etc/ssl/certs/ca-certificates.crt "$ctx/ca-certificates.crt"
      if [ "$dir" = node-alpine ]; then
        local lib
        for lib in $(ldd "$node" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
          mkdir -p "$ctx/libs$(dirname "$lib")"; cp -L "$lib" "$ctx/libs$lib"
        done
      fi;;
  esac
}

# build_one PRIMARY: build (or import) one fixture, then tag its aliases.
build_one() {
  local p=$1 dir=${BUILD_DIR[$1]} logf=$SLIPWAY_TESTWORLD_STATE/log/build-${1//[:\/]/_}.log t0
  t0=$(now_us)
  if [ "$dir" = - ]; then
    docker import -c 'CMD ["bash"]' -c "LABEL $FIXTURE_LABEL=$FIXTURE_HASH" \
      -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      "$ROOTFS_TAR" "$p" >"$logf" 2>&1 || die "docker import of $ROOTFS_TAR failed" "$logf"
  else
    SKIP_REASON=""
    if ! stage_context "$dir"; then
      echo "$SKIP_REASON" > "$SLIPWAY_TESTWORLD_STATE/build/$dir.skipped"; warn "skipping $p: $SKIP_REASON"; return 0
    fi
    docker build --label "$FIXTURE_LABEL=$FIXTURE_HASH" --build-arg "NODE_VERSION=$(node --version | tr -d v)" \
      -t "$p" "$SLIPWAY_TESTWORLD_STATE/build/$dir" >"$logf" 2>&1 ||
      die "building fixture image $p failed" "$logf"
    rm -rf "$SLIPWAY_TESTWORLD_STATE/build/$dir"
  fi
  tag_aliases "$p"
  printf 'testworld:     %-32s %6ss\n' "built $p" "$(fmt_secs $(($(now_us) - t0)))" >&2
}

# base_of PRIMARY: the fixture its Dockerfile builds FROM ("-" for debian, "scratch" for busybox).
base_of() {
  local dir=${BUILD_DIR[$1]}
  if [ "$dir" = - ]; then echo -; return; fi
  awk 'toupper($1) == "FROM" {print $2}' "$HERE/images/$dir/Dockerfile" | tail -n1
}

# build_tree PRIMARY: build it (when needed), then everything FROM it, in parallel. Builds are mostly
# dpkg and layer commits, CPU-bound on 2 cores; a dependent starts as soon as its own base is done.
build_tree() {
  local p=$1 c n pids=() rc=0
  if [ "$p" != debian:bookworm-slim ] && primary_needed "$p"; then build_one "$p"; fi
  for c in "${PRIMARY[@]}"; do
    local base; base=$(base_of "$c")
    for n in "$p" ${ALIASES[$p]}; do
      if [ "$base" = "$n" ]; then build_tree "$c" & pids+=($!); fi
    done
  done
  for c in "${pids[@]}"; do wait "$c" || rc=1; done
  return $rc
}

build_images() {
  rm -rf "$SLIPWAY_TESTWORLD_STATE/build"; mkdir -p "$SLIPWAY_TESTWORLD_STATE/build"
  if primary_needed debian:bookworm-slim; then
    step "  debian rootfs (debootstrap)" wait_rootfs || true
    if [ -z "${ROOTFS_TAR:-}" ] || [ ! -s "$ROOTFS_TAR" ]; then
      warn "no debian rootfs (needs root and debootstrap, or a cached tar); images FROM debian are skipped"
    else
      build_one debian:bookworm-slim
      prefetch_compose_v2
    fi
  fi
  local pids=() p rc=0
  # scratch-based ones need no debian; everything FROM debian only once debian exists (or is the user's)
  build_tree_scratch() { local c; for c in "${PRIMARY[@]}"; do [ "$(base_of "$c")" != scratch ] || build_tree "$c"; done; }
  build_tree_scratch & pids+=($!)
  if docker image inspect debian:bookworm-slim >/dev/null 2>&1; then build_tree debian:bookworm-slim & pids+=($!); fi
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  [ $rc = 0 ] || die "a fixture image build failed (logs above)"
}

# pull_images: the mirror holds this recipe's images; fetch what the engine lacks through it, all at once.
pull_images() {
  local p pids=() rc=0 logf=$SLIPWAY_TESTWORLD_STATE/log/pull.log
  for p in "${PRIMARY[@]}"; do
    primary_needed "$p" || continue
    { docker pull -q "$p" >>"$logf" 2>&1 && tag_aliases "$p"; } & pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  [ $rc = 0 ] || die "pulling fixtures through the mirror (http://$MIRROR_ADDR) failed" "$logf"
}

# push_mirror: every fixture the engine has, with all its names, in one `docker save` (shared layers
# once). Not pushed image by image while others build: the builds already keep both cores busy.
# See push-mirror.mjs for why not `docker push`.
push_mirror() {
  local p args=() logf=$SLIPWAY_TESTWORLD_STATE/log/push-mirror.log
  for p in "${PRIMARY[@]}"; do
    if docker image inspect "$p" >/dev/null 2>&1; then args+=("$p ${ALIASES[$p]}"); fi
  done
  [ ${#args[@]} -gt 0 ] || return 0
  node "$HERE/lib/push-mirror.mjs" "$MIRROR_ADDR" "$SLIPWAY_TESTWORLD_STATE/push" "${args[@]}" >"$logf" 2>&1 ||
    die "pushing the fixtures to the mirror registry failed" "$logf"
}

mirror_cache_tar() { echo "$SLIPWAY_TESTWORLD_CACHE/mirror-$FIXTURE_HASH.tar"; }
mirror_is_current() { [ "$(cat "$SLIPWAY_TESTWORLD_STATE/registry/mirror/fixtures-hash" 2>/dev/null)" = "$FIXTURE_HASH" ]; }

save_mirror_cache() {
  local tarf; tarf=$(mirror_cache_tar)
  tar -C "$SLIPWAY_TESTWORLD_STATE/registry/mirror" -cf "$tarf.tmp" . && mv "$tarf.tmp" "$tarf"
  # older recipes' tars are dead weight
  find "$SLIPWAY_TESTWORLD_CACHE" -maxdepth 1 -name 'mirror-*.tar' ! -name "$(basename "$tarf")" -delete
}

# Before the mirror registry starts: restore its storage from the cache when that is newer.
restore_mirror_cache() {
  local tarf; tarf=$(mirror_cache_tar)
  mirror_is_current || [ ! -s "$tarf" ] || {
    rm -rf "$SLIPWAY_TESTWORLD_STATE/registry/mirror"; mkdir -p "$SLIPWAY_TESTWORLD_STATE/registry/mirror"
    tar -C "$SLIPWAY_TESTWORLD_STATE/registry/mirror" -xf "$tarf"
  }
}

# ensure_images: the engine ends up holding every fixture it can; the mirror (when ours) all of them.
ensure_images() {
  ENGINE_ARCH=$(docker info --format '{{.Architecture}}')
  image_status
  if [ "$MIRROR_USABLE" = 1 ] && mirror_is_current; then
    step "  pull fixtures from the mirror" pull_images
    return
  fi
  local p any=0
  for p in "${PRIMARY[@]}"; do primary_needed "$p" && any=1; done
  if [ $any = 1 ]; then
    step "  build fixture images" build_images
    image_status
  fi
  if [ "$MIRROR_USABLE" = 1 ]; then
    # The mirror holds an older recipe's images (or none): refill it from empty storage, so its cache
    # tar holds no dead blobs. Only now, after the builds: concurrent test runs pull from it meanwhile.
    step "  empty the mirror registry" reset_registry mirror "$MIRROR_ADDR"
    step "  push fixtures to the mirror" push_mirror
    echo "$FIXTURE_HASH" > "$SLIPWAY_TESTWORLD_STATE/registry/mirror/fixtures-hash"
    step "  cache the mirror storage" save_mirror_cache
  fi
}
