# Four registries, host processes of Debian's docker-registry, all on loopback:
#   mirror 127.0.0.1:5001  Docker Hub names (library/...) for the engine's registry-mirrors
#   auth   127.0.0.1:5002  basic auth (bcrypt htpasswd), for publish tests
#   plain  127.0.0.1:5003  no auth, for publish tests
#   token  127.0.0.1:5004  Bearer-token auth, for publish tests: its token service (realm
#                          http://127.0.0.1:5005/token) is test/support/token-issuer.ts, which the
#                          tests run themselves while they need it; setup makes the issuer's key
#                          and certificate ($STATE/etc/token-issuer.key, .crt) and the registry
# shellcheck shell=bash disable=SC2034  # sets variables that setup.sh reads

MIRROR_ADDR=127.0.0.1:5001
AUTH_ADDR=127.0.0.1:5002
PLAIN_ADDR=127.0.0.1:5003
TOKEN_ADDR=127.0.0.1:5004
TOKEN_REALM=http://127.0.0.1:5005/token
TOKEN_SERVICE=slipway-test-registry
TOKEN_ISSUER=slipway-test-issuer
AUTH_USER=testuser

registry_binary() { command -v docker-registry || command -v registry; }

# write_registry_config NAME ADDR [AUTH]: a config in $STATE/etc; storage in $STATE/registry/NAME.
# AUTH: empty (none), "token" (Bearer tokens from $TOKEN_REALM), anything else htpasswd.
write_registry_config() {
  local name=$1 addr=$2 auth=${3:-} dir=$SLIPWAY_TESTWORLD_STATE
  mkdir -p "$dir/registry/$name" "$dir/etc"
  {
    printf 'version: 0.1\nlog: {level: warn, accesslog: {disabled: true}}\n'
    printf 'storage:\n  filesystem: {rootdirectory: %s/registry/%s}\n  delete: {enabled: true}\n' "$dir" "$name"
    printf 'http:\n  addr: %s\n' "$addr"
    case $auth in
      "") ;;
      token) printf 'auth:\n  token:\n    realm: "%s"\n    service: %s\n    issuer: %s\n    rootcertbundle: %s/etc/token-issuer.crt\n' \
        "$TOKEN_REALM" "$TOKEN_SERVICE" "$TOKEN_ISSUER" "$dir" ;;
      *) printf 'auth:\n  htpasswd: {realm: slipway-testworld, path: %s/etc/htpasswd}\n' "$dir" ;;
    esac
  } > "$dir/etc/registry-$name.yml.new"
  mv "$dir/etc/registry-$name.yml.new" "$dir/etc/registry-$name.yml"
}

# The auth registry's password is made once and kept in the state folder (tests read it from world.json).
ensure_htpasswd() {
  local dir=$SLIPWAY_TESTWORLD_STATE
  if [ ! -s "$dir/etc/auth-password" ]; then
    (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$dir/etc/auth-password")
  fi
  if [ ! -s "$dir/etc/htpasswd" ] || ! htpasswd -vb "$dir/etc/htpasswd" "$AUTH_USER" "$(cat "$dir/etc/auth-password")" >/dev/null 2>&1; then
    # the registry accepts bcrypt entries only
    htpasswd -Bbc "$dir/etc/htpasswd" "$AUTH_USER" "$(cat "$dir/etc/auth-password")" 2>/dev/null
  fi
}

# The token registry's user has its own password, made once like the auth registry's. The token
# issuer's key (EC P-256) and self-signed certificate are made once too; the registry trusts tokens
# whose x5c header carries that certificate. A new certificate (none yet, expiring, not the key's)
# means a running token registry trusts the old one: it is restarted.
ensure_token_keys() {
  local dir=$SLIPWAY_TESTWORLD_STATE/etc
  if [ ! -s "$dir/token-password" ]; then
    (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$dir/token-password")
  fi
  if [ -s "$dir/token-issuer.key" ] && [ -s "$dir/token-issuer.crt" ] &&
    openssl x509 -checkend 2592000 -noout -in "$dir/token-issuer.crt" >/dev/null 2>&1 &&
    [ "$(openssl pkey -in "$dir/token-issuer.key" -pubout 2>/dev/null)" = "$(openssl x509 -in "$dir/token-issuer.crt" -pubkey -noout 2>/dev/null)" ]; then
    return 0
  fi
  (umask 077; openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=$TOKEN_ISSUER" -keyout "$dir/token-issuer.key.new" -out "$dir/token-issuer.crt.new" 2>/dev/null) ||
    die "openssl could not make the token issuer's key and certificate"
  mv "$dir/token-issuer.key.new" "$dir/token-issuer.key"
  mv "$dir/token-issuer.crt.new" "$dir/token-issuer.crt"
  stop_registry token
}

# stop_registry NAME: stop a registry this test world started (if it runs).
stop_registry() {
  local pidfile=$SLIPWAY_TESTWORLD_STATE/run/registry-$1.pid
  if pid_alive "$pidfile" "$(basename "$(registry_binary)" | cut -c1-15)"; then
    local pid; pid=$(cat "$pidfile"); kill "$pid"
    wait_for 10 sh -c "! kill -0 $pid" || kill -9 "$pid"
  fi
}

# start_token_registry: keys, config and the registry; sets TOKEN_OK, or says why in UNAVAILABLE.
start_token_registry() {
  if ! command -v openssl >/dev/null; then
    UNAVAILABLE["token-registry"]="no openssl on this host to make the token issuer's key (Debian: openssl)"
    return 0
  fi
  ensure_token_keys
  write_registry_config token "$TOKEN_ADDR" token
  if start_registry token "$TOKEN_ADDR"; then TOKEN_OK=1; else UNAVAILABLE["token-registry"]=$REGISTRY_CONFLICT; fi
}

# start_registry NAME ADDR: idempotent; fails loudly if the port belongs to someone else.
start_registry() {
  local name=$1 addr=$2 dir=$SLIPWAY_TESTWORLD_STATE
  local pidfile=$dir/run/registry-$name.pid logf=$dir/log/registry-$name.log
  if pid_alive "$pidfile" "$(basename "$(registry_binary)" | cut -c1-15)"; then
    wait_for 5 registry_answers "$addr" || die "registry $name (pid $(cat "$pidfile")) does not answer on $addr" "$logf"
    return 0
  fi
  if registry_answers "$addr"; then
    REGISTRY_CONFLICT="port ${addr##*:} is taken by a process this test world did not start: $(ss -ltnpH "sport = :${addr##*:}" 2>/dev/null | awk '{print $NF}')"
    [ "$WORLD_MANAGED" = 0 ] || die "$REGISTRY_CONFLICT"
    return 1
  fi
  setsid "$(registry_binary)" serve "$dir/etc/registry-$name.yml" >>"$logf" 2>&1 </dev/null 9>&- &
  echo $! > "$pidfile"
  wait_for 10 registry_answers "$addr" || die "registry $name did not start on $addr" "$logf"
}

# The /v2/ endpoint answers 200, or 401 on the auth registry: either means it is up.
registry_answers() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --noproxy '*' "http://$1/v2/") || return 1
  [ "$code" = 200 ] || [ "$code" = 401 ]
}

start_registries() {
  registry_binary >/dev/null || die "docker-registry is not installed"
  ensure_htpasswd
  write_registry_config mirror "$MIRROR_ADDR"
  write_registry_config auth "$AUTH_ADDR" auth
  write_registry_config plain "$PLAIN_ADDR"
  start_registry mirror "$MIRROR_ADDR"
  start_registry auth "$AUTH_ADDR"
  start_registry plain "$PLAIN_ADDR"
  start_token_registry
}

# reset_registry NAME ADDR: restart a registry on empty storage. Never delete under a running
# registry: it caches blob descriptors in memory and would claim blobs that are gone.
reset_registry() {
  local name=$1 addr=$2 pidfile=$SLIPWAY_TESTWORLD_STATE/run/registry-$1.pid
  if pid_alive "$pidfile" "$(basename "$(registry_binary)" | cut -c1-15)"; then
    local pid; pid=$(cat "$pidfile"); kill "$pid"
    wait_for 10 sh -c "! kill -0 $pid" || kill -9 "$pid"
  fi
  rm -rf "${SLIPWAY_TESTWORLD_STATE:?}/registry/$name"; mkdir -p "$SLIPWAY_TESTWORLD_STATE/registry/$name"
  start_registry "$name" "$addr"
}

# With a reused engine: run the publish-test registries when this host can (docker-registry and
# htpasswd already installed) and the engine shares our loopback; serve the mirror only when that
# engine was configured with it. Sets PLAIN_OK, AUTH_OK, TOKEN_OK, MIRROR_USABLE; reasons in UNAVAILABLE.
reuse_registries() {
  local why=""
  if ! registry_binary >/dev/null; then
    why="no docker-registry binary on this host (Debian: apt-get install docker-registry)"
  elif [[ $DOCKER_HOST != unix://* ]]; then
    why="the engine ($DOCKER_HOST) is not on this host, so it cannot reach registries on this host's 127.0.0.1"
  fi
  if [ -n "$why" ]; then
    UNAVAILABLE["plain-registry"]=$why UNAVAILABLE["auth-registry"]=$why UNAVAILABLE["mirror"]=$why
    UNAVAILABLE["token-registry"]=$why
    return 0
  fi
  # a port some other process holds makes that registry unavailable, not the whole setup
  write_registry_config plain "$PLAIN_ADDR"
  if start_registry plain "$PLAIN_ADDR"; then PLAIN_OK=1; else UNAVAILABLE["plain-registry"]=$REGISTRY_CONFLICT; fi
  if ! command -v htpasswd >/dev/null; then
    UNAVAILABLE["auth-registry"]="no htpasswd on this host to make the bcrypt password file (Debian: apache2-utils)"
  else
    ensure_htpasswd; write_registry_config auth "$AUTH_ADDR" auth
    if start_registry auth "$AUTH_ADDR"; then AUTH_OK=1; else UNAVAILABLE["auth-registry"]=$REGISTRY_CONFLICT; fi
  fi
  start_token_registry
  if docker info --format '{{json .RegistryConfig.Mirrors}}' | grep -qF "$MIRROR_ADDR"; then
    restore_mirror_cache; write_registry_config mirror "$MIRROR_ADDR"
    if start_registry mirror "$MIRROR_ADDR"; then MIRROR_USABLE=1; else UNAVAILABLE["mirror"]=$REGISTRY_CONFLICT; fi
  fi
}
