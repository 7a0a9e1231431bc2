#!/bin/sh
# Like the official node image: `docker run node:20 -e '...'` or `... app.js` runs node with those args.
set -e
if [ "${1#-}" != "$1" ] || [ -z "$(command -v "$1" || true)" ] || { [ -f "$1" ] && ! [ -x "$1" ]; }; then
  set -- node "$@"
fi
exec "$@"
