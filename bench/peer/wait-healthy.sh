#!/bin/sh
# wait-healthy.sh CONTAINER [TIMEOUT_S] [INTERVAL_S]: waits until the container's healthcheck reports
# healthy. docker-compose v1 has no `up --wait`, so the Makefile polls the engine, as teams do.
set -u
container=${1:?usage: wait-healthy.sh CONTAINER [TIMEOUT_S] [INTERVAL_S]}
timeout=${2:-120}
interval=${3:-1}

start=$(date +%s)
while :; do
  status=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$container" 2>/dev/null) || status=missing
  case $status in
    healthy) exit 0 ;;
    unhealthy|exited|dead|missing) echo "wait-healthy: $container is $status" >&2; exit 1 ;;
  esac
  if [ $(($(date +%s) - start)) -ge "$timeout" ]; then
    echo "wait-healthy: $container not healthy after ${timeout}s (last status: $status)" >&2
    exit 1
  fi
  sleep "$interval"
done
