"""How every ExpoOps NATS client connects: to a list of cluster URLs, with credentials that
hold for every server of the cluster, and leaving a hung server quickly.

`EXPO_NATS_URL` may list several servers, comma-separated (`nats://a:4222,nats://b:4222`),
and carry the user and password in any of them. nats-py applies credentials written into a
URL to that URL only: a server it learns from the cluster's gossip (a node added later, or
one not listed) would be tried without them, and refuse it. So they are taken out of the
URLs and passed as the connection's own user and password, which apply to every server.
"""

from urllib.parse import unquote, urlsplit, urlunsplit

# The client pings every PING_INTERVAL seconds and leaves a server that left
# MAX_OUTSTANDING_PINGS of them unanswered: a hung node (SIGSTOP, a frozen VM) is left after
# 10 to 15 s, not nats-py's default 2 x 120 s, while a busy one has seconds to answer.
PING_INTERVAL = 5
MAX_OUTSTANDING_PINGS = 2


class ConflictingCredentials(ValueError):
    pass


def connection_options(servers: str) -> dict:
    """Keyword arguments for `nats.connect` (and FastStream's NatsBroker) from EXPO_NATS_URL."""
    urls, credentials = [], set()
    for part in servers.split(","):
        url = urlsplit(part.strip())
        if url.username is not None:  # nats://user:password@... or nats://token@...
            password = None if url.password is None else unquote(url.password)
            credentials.add((unquote(url.username), password))
        netloc = url.hostname or ""
        if ":" in netloc:  # an IPv6 address
            netloc = f"[{netloc}]"
        if url.port:
            netloc += f":{url.port}"
        urls.append(urlunsplit((url.scheme, netloc, url.path, url.query, url.fragment)))
    if len(credentials) > 1:
        raise ConflictingCredentials("EXPO_NATS_URL names more than one user: one client, one user")
    options: dict = {
        "servers": urls,
        "ping_interval": PING_INTERVAL,
        "max_outstanding_pings": MAX_OUTSTANDING_PINGS,
    }
    if credentials:
        user, password = credentials.pop()
        if password is None:
            options["token"] = user
        else:
            options["user"], options["password"] = user, password
    return options
