#!/usr/bin/env bash
# Set up (idempotently) the offline Docker test world and describe it in world.json. See README.md.
#
# Reuses an engine that answers (DOCKER_HOST, else /var/run/docker.sock) without installing or
# reconfiguring anything; otherwise, as root on Debian, installs Debian's docker.io and friends and
# starts its own dockerd with a Docker Hub mirror on 127.0.0.1:5001 holding locally built images.
set -euo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/paths.sh
source "$HERE/lib/paths.sh"
for f in common packages registries engine rootfs images compose; do
  # shellcheck disable=SC1090
  source "$HERE/lib/$f.sh"
done
trap on_exit EXIT

mkdir -p "$SLIPWAY_TESTWORLD_STATE"/{etc,log,run,registry} "$SLIPWAY_TESTWORLD_CACHE"
# Concurrent test runs (several engineers, one machine) each call setup.sh: one at a time.
# Daemons started below get 9>&- so they do not hold this lock for life.
exec 9>"$SLIPWAY_TESTWORLD_STATE/run/setup.lock"
flock 9

T0=$(now_us)
declare -A UNAVAILABLE=()
command -v node >/dev/null || die "node is not on PATH (the project needs node >= 20 anyway)"
decide_engine
read_fixture_list
if [ "$WORLD_MANAGED" = 1 ]; then
  # The fixture hash reads host binaries that the world's packages install (busybox-static's
  # busybox): install them before hashing, or a fresh machine's first run labels its images with a
  # hash of "no busybox" and the second run rebuilds every fixture. debootstrap comes in the same
  # apt run because the rootfs build started next needs it.
  step "apt packages (hashed, debootstrap)" install_packages busybox-static debootstrap
fi
FIXTURE_HASH=$(fixture_hash)
PLAIN_OK=0 AUTH_OK=0 TOKEN_OK=0 MIRROR_USABLE=0

if [ "$WORLD_MANAGED" = 1 ]; then
  log "engine: ours on $DOCKER_HOST (state $SLIPWAY_TESTWORLD_STATE, cache $SLIPWAY_TESTWORLD_CACHE)"
  step "restore mirror storage (cache)" restore_mirror_cache
  mirror_is_current || step "start debootstrap (background)" prebuild_rootfs
  step "apt packages" install_packages
  step "registries" start_registries
  step "dockerd" start_engine
  PLAIN_OK=1 AUTH_OK=1 MIRROR_USABLE=1
else
  log "engine: reusing the one on $DOCKER_HOST; installing nothing, reconfiguring nothing"
  command -v docker >/dev/null || die "the engine answers, but there is no docker CLI to build the fixture images with"
  reuse_registries
fi

ensure_images
step "compose v2 (trixie, cached)" ensure_compose_v2
ensure_compose_v1

# --- describe the world -------------------------------------------------------------------------
declare -A present=()
while read -r n; do present[$n]=1; done < <(docker image ls --format '{{.Repository}}:{{.Tag}}')
images=()
for n in "${ALL_NAMES[@]}"; do
  if [ -n "${present[$n]:-}" ]; then images+=("$n"); continue; fi
  skipped=$SLIPWAY_TESTWORLD_STATE/build/${BUILD_DIR[${PRIMARY_OF[$n]}]}.skipped
  UNAVAILABLE[image:$n]=$(cat "$skipped" 2>/dev/null || echo "the engine has no $n and setup could not build it (see $SLIPWAY_TESTWORLD_STATE/log)")
done
[ "$MIRROR_USABLE" = 1 ] && mirror_is_current ||
  UNAVAILABLE["mirror"]=${UNAVAILABLE["mirror"]:-"the engine does not pull Docker Hub names through the test world's mirror (http://$MIRROR_ADDR)"}
[ "$PLAIN_OK" = 1 ] || UNAVAILABLE["plain-registry"]=${UNAVAILABLE["plain-registry"]:-"no plain registry"}
[ "$AUTH_OK" = 1 ] || UNAVAILABLE["auth-registry"]=${UNAVAILABLE["auth-registry"]:-"no basic-auth registry"}
[ "$TOKEN_OK" = 1 ] || UNAVAILABLE["token-registry"]=${UNAVAILABLE["token-registry"]:-"no token-auth registry"}
unavailable=""
for k in "${!UNAVAILABLE[@]}"; do unavailable+="$k"$'\t'"${UNAVAILABLE[$k]}"$'\n'; done
read -r engine_version engine_api < <(docker version --format '{{.Server.Version}} {{.Server.APIVersion}}')
W_DOCKER_HOST=$DOCKER_HOST W_MANAGED=$WORLD_MANAGED \
W_ENGINE_VERSION=$engine_version W_ENGINE_API=$engine_api W_ENGINE_ARCH=$ENGINE_ARCH \
W_MIRROR=$(if [ -z "${UNAVAILABLE["mirror"]:-}" ]; then echo "$MIRROR_ADDR"; fi) \
W_PLAIN=$(if [ "$PLAIN_OK" = 1 ]; then echo "$PLAIN_ADDR"; fi) \
W_AUTH=$(if [ "$AUTH_OK" = 1 ]; then echo "$AUTH_ADDR"; fi) W_AUTH_USER=$AUTH_USER \
W_AUTH_PASSWORD=$(cat "$SLIPWAY_TESTWORLD_STATE/etc/auth-password" 2>/dev/null || true) \
W_TOKEN=$(if [ "$TOKEN_OK" = 1 ]; then echo "$TOKEN_ADDR"; fi) W_TOKEN_REALM=$TOKEN_REALM W_TOKEN_USER=$AUTH_USER \
W_TOKEN_PASSWORD=$(cat "$SLIPWAY_TESTWORLD_STATE/etc/token-password" 2>/dev/null || true) \
W_TOKEN_SERVICE=$TOKEN_SERVICE W_TOKEN_ISSUER=$TOKEN_ISSUER \
W_TOKEN_KEY=$SLIPWAY_TESTWORLD_STATE/etc/token-issuer.key W_TOKEN_CERT=$SLIPWAY_TESTWORLD_STATE/etc/token-issuer.crt \
W_IMAGES=$(printf '%s\n' "${images[@]}") W_COMPOSE_V2=$COMPOSE_V2 W_COMPOSE_V1=$COMPOSE_V1 \
W_UNAVAILABLE=$unavailable W_FIXTURES_HASH=$FIXTURE_HASH \
W_STATE=$SLIPWAY_TESTWORLD_STATE W_CACHE=$SLIPWAY_TESTWORLD_CACHE \
  node "$HERE/lib/write-world.mjs" "$SLIPWAY_WORLD"

for k in "${!UNAVAILABLE[@]}"; do log "unavailable: $k: ${UNAVAILABLE[$k]}"; done
printf 'testworld:   %-34s %6ss   (world: %s)\n' TOTAL "$(fmt_secs $(($(now_us) - T0)))" "$SLIPWAY_WORLD" >&2
