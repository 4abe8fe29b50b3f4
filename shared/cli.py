"""The `expo` command: run the stack, serve or migrate one service, issue tokens."""

import argparse
import logging
import sys

from pydantic import ValidationError

from shared.auth import DEFAULT_TTL_DAYS, MAX_TTL_DAYS
from shared.settings import MissingSecret, Settings


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

    token = commands.add_parser(
        "token",
        help="issue a bearer token, or revoke one (expo token revoke <token or id>)",
        description="`expo token <role>` prints a new token (its id and expiry go to stderr); "
        "`expo token revoke <token or id>` revokes one on every service within seconds "
        "(it needs EXPO_NATS_URL with the operator's NATS user).",
    )
    token.add_argument(
        "role", help="committee | ops | integrator | group:<code> | county:<code> | revoke"
    )
    token.add_argument("target", nargs="?", help="with `revoke`: the token, or its id (jti)")
    token.add_argument("--subject", help="who holds it (recorded as the actor); default: generated")
    token.add_argument(
        "--ttl-days",
        type=float,
        default=None,
        help=f"lifetime in days (default {DEFAULT_TTL_DAYS}, at most {MAX_TTL_DAYS})",
    )
    token.add_argument("--reason", help="with `revoke`: why, kept with the revocation")

    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        parser.error("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors()))
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)

    if args.command == "run":
        from shared.launcher import run

        return run()
    if args.command == "serve":
        import uvicorn

        try:
            settings.token_keys  # noqa: B018 - no secret, no service: said before anything starts
        except MissingSecret as exc:
            parser.error(str(exc))

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
        try:
            if args.role == "revoke":
                return _revoke(parser, settings, args)
            return _issue(parser, settings, args)
        except MissingSecret as exc:
            parser.error(str(exc))
    return 2


def _issue(parser: argparse.ArgumentParser, settings: Settings, args) -> int:
    from datetime import UTC, datetime

    from shared.auth import issue

    edition = settings.edition
    kind, _, code = args.role.partition(":")
    if kind == "county" and code not in edition.county_codes:
        parser.error(f"unknown county {code!r}; known: {', '.join(sorted(edition.county_codes))}")
    if kind == "group" and code not in edition.group_codes:
        parser.error(
            f"unknown working group {code!r}; known: {', '.join(sorted(edition.group_codes))}"
        )
    if args.ttl_days is not None and args.ttl_days <= 0:
        parser.error("--ttl-days must be more than 0")
    try:
        issued = issue(settings.token_keys.signing, args.role, args.subject, args.ttl_days)
    except ValueError as exc:
        parser.error(str(exc))
    expires = datetime.fromtimestamp(issued.expires_at, UTC).isoformat(timespec="seconds")
    print(issued.token)
    # On stderr, so that `$(expo token ...)` captures the token alone.
    print(f"token id {issued.token_id}, expires {expires}", file=sys.stderr)
    return 0


def _revoke(parser: argparse.ArgumentParser, settings: Settings, args) -> int:
    import asyncio
    import getpass

    from shared.auth import TOKEN_ID_PATTERN, InvalidToken, token_id_of
    from shared.revocations import revoke

    if not args.target:
        parser.error("expo token revoke needs the token, or its id (jti)")
    target = args.target.strip()
    if "." in target:
        try:
            token_id, expires_at = token_id_of(target)
        except InvalidToken as exc:
            parser.error(str(exc))
    elif TOKEN_ID_PATTERN.match(target):
        token_id, expires_at = target, None
    else:
        parser.error(f"{target!r} is neither a token nor a token id")
    try:
        asyncio.run(revoke(settings.nats_url, token_id, expires_at, getpass.getuser(), args.reason))
    except Exception as exc:  # what NATS said (not reachable, no permission) is the message
        print(f"expo token revoke: could not write the revocation: {exc}", file=sys.stderr)
        return 1
    print(f"revoked {token_id}: every service refuses it within seconds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
