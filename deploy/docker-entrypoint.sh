#!/bin/sh
# Entry point of the ExpoOps image.
#   docker-entrypoint.sh <service>  -> apply that service's migrations, then serve it
#   docker-entrypoint.sh <command>  -> run the command as given (expo ..., sh)
# Migrating at start keeps one host simple. When several replicas start at once,
# one may lose the race for a migration and exit; its restart finds the schema
# current. On a cluster, run `expo migrate <service>` as a one-off job instead.
set -eu

if [ "$#" -eq 1 ] && [ -f "/app/services/$1/app.py" ]; then
    SERVICE="$1"
    expo migrate "$SERVICE"
    # exec, so that the server itself receives SIGTERM from `docker stop` and
    # shuts down gracefully instead of being killed after the timeout.
    exec expo serve "$SERVICE" --host 0.0.0.0 --port 8000
fi

exec "$@"
