"""The `expo` command: run the stack, serve or migrate one service, issue tokens."""

import argparse
import logging
import sys

from shared.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="expo", description="ExpoOps command line")
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("run", help="start NATS and every service (Ctrl-C stops all)")

    serve = commands.add_parser("serve", help="serve one service over HTTP")
    serve.add_argument("service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)

    migrate = commands.add_parser("migrate", help="bring a service's database to the latest schema")
    migrate.add_argument("service", help="a service name, or 'all'")

    revision = commands.add_parser(
        "revision", help="write a service's next migration from its models"
    )
    revision.add_argument("service")
    revision.add_argument("-m", "--message", required=True)

    rebuild = commands.add_parser(
        "rebuild",
        help="rebuild a service's projections by replaying the streams (stop the service first)",
    )
    rebuild.add_argument("service", choices=["reporting"])

    token = commands.add_parser("token", help="issue a bearer token")
    token.add_argument("role", help="committee | ops | integrator | group:<code> | county:<code>")
    token.add_argument("--subject", help="who holds it (recorded as the actor); default: generated")
    token.add_argument("--ttl-days", type=int, default=None)

    args = parser.parse_args(argv)
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)

    if args.command == "run":
        from shared.launcher import run

        return run()
    if args.command == "serve":
        import uvicorn

        uvicorn.run(
            f"services.{args.service}.app:build",
            factory=True,
            host=args.host,
            port=args.port,
            timeout_graceful_shutdown=int(settings.shutdown_timeout),
            access_log=False,
        )
        return 0
    if args.command == "migrate":
        from shared.launcher import installed_services
        from shared.migrations import upgrade

        for service in installed_services() if args.service == "all" else [args.service]:
            upgrade(service, settings.database_url(service))
            print(f"{service}: migrated")
        return 0
    if args.command == "revision":
        from shared.migrations import new_revision

        print(new_revision(args.service, args.message))
        return 0
    if args.command == "rebuild":
        import asyncio

        from shared.rebuild import rebuild as replay

        asyncio.run(replay(args.service, settings))
        print(f"{args.service}: projections rebuilt from the streams")
        return 0
    if args.command == "token":
        from shared.auth import issue_token

        edition = settings.edition
        kind, _, code = args.role.partition(":")
        if kind == "county" and code not in edition.county_codes:
            parser.error(
                f"unknown county {code!r}; known: {', '.join(sorted(edition.county_codes))}"
            )
        if kind == "group" and code not in edition.group_codes:
            parser.error(
                f"unknown working group {code!r}; known: {', '.join(sorted(edition.group_codes))}"
            )
        try:
            print(issue_token(settings.auth_secret, args.role, args.subject, args.ttl_days))
        except ValueError as exc:
            parser.error(str(exc))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
