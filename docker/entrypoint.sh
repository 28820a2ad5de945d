#!/bin/sh
# The images' entrypoint: `rediacc ARGS…`. A Redis URL that carries a password comes from a file (a compose or
# Kubernetes secret) named by REDIS_URL_FILE, so it never sits in the compose file or the pod spec. `exec` makes
# node PID 1's replacement: the rediacc process itself receives SIGTERM and drains.
set -eu
if [ -n "${REDIS_URL_FILE:-}" ]; then
  REDIS_URL="$(cat "$REDIS_URL_FILE")"
  export REDIS_URL
  unset REDIS_URL_FILE
fi
exec node /app/packages/cli/dist/bin.js "$@"
