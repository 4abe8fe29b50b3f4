#!/bin/sh
# Entry point of the ExpoOps image.
#   docker-entrypoint.sh <service>  -> apply that service's migrations, then serve it
#   docker-entrypoint.sh <command>  -> run the command as given (expo ..., sh)
# Migrating at start keeps one host simple, and is safe with replicas: when several
# start at once, one migrates while the others wait for it (a PostgreSQL advisory
# lock), then find the schema current. On a cluster a one-off job may migrate first.
set -eu

if [ "$#" -eq 1 ] && [ -f "/app/services/$1/app.py" ]; then
    SERVICE="$1"
    expo migrate "$SERVICE"
    # exec, so that the server itself receives SIGTERM from `docker stop` and
    # shuts down gracefully instead of being killed after the timeout.
    exec expo serve "$SERVICE" --host 0.0.0.0 --port 8000
fi

exec "$@"
