"""Revoked tokens, kept on the bus: a NATS key-value bucket every service watches.

`expo token revoke` puts the token's id (`jti`) in the bucket; each service follows the bucket
and refuses the token from then on, within about a second, without a restart. Entries expire
with the bucket's max age, a little longer than any token can live, so the list stays short.
While NATS is away a service keeps the list it had; a service that has not loaded the list
yet is not ready (/readyz) — it would accept a revoked token.
"""

import asyncio
import json
import logging
import time
from collections.abc import Callable

import nats
from nats.js import JetStreamContext
from nats.js.errors import BucketNotFoundError
from nats.js.kv import KV_DEL, KV_PURGE, KeyValue

from shared.auth import MAX_TTL_DAYS
from shared.nats_options import connection_options

log = logging.getLogger(__name__)

BUCKET = "EXPO_REVOKED_TOKENS"
MAX_AGE_SECONDS = MAX_TTL_DAYS * 86400 + 86400  # outlives every token it could name
RESYNC_DELAY_SECONDS = 1.0


async def open_bucket(js: JetStreamContext, replicas: int = 1) -> KeyValue:
    """The bucket, created if this is the first to need it (any service, or the operator)."""
    try:
        return await js.key_value(BUCKET)
    except BucketNotFoundError:
        pass
    try:
        return await js.create_key_value(
            bucket=BUCKET,
            description="Revoked ExpoOps tokens by id (jti); written by `expo token revoke`",
            history=1,
            ttl=MAX_AGE_SECONDS,
            replicas=replicas,
        )
    except nats.js.errors.BadRequestError:  # created meanwhile by another process
        return await js.key_value(BUCKET)


class RevocationList:
    """The ids of revoked tokens, as this process last read them from the bucket."""

    def __init__(self, replicas: int = 1) -> None:
        self._replicas = replicas  # of the bucket, should this process be the one to create it
        self._revoked: set[str] = set()
        self.loaded = asyncio.Event()

    def __contains__(self, token_id: object) -> bool:
        return token_id in self._revoked

    def __len__(self) -> int:
        return len(self._revoked)

    async def follow(
        self, jetstream: Callable[[], JetStreamContext | None], connected: asyncio.Event
    ) -> None:
        """Keep the list current until cancelled, from the moment the bus is `connected`.
        After a lost connection the whole bucket is read again (the old list serves
        meanwhile), so nothing revoked meanwhile is missed."""
        await connected.wait()
        while True:
            js = jetstream()
            if js is None:
                await asyncio.sleep(0.2)
                continue
            try:
                await self._watch(js, jetstream)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("revoked tokens: watch failed (%s); reading the list again", exc)
            await asyncio.sleep(RESYNC_DELAY_SECONDS)

    async def _watch(self, js: JetStreamContext, jetstream) -> None:
        watcher = await (await open_bucket(js, self._replicas)).watchall()
        fresh: set[str] | None = set()  # None once the bucket's contents are in
        try:
            while True:
                try:
                    entry = await watcher.updates(timeout=1.0)
                except nats.errors.TimeoutError:
                    if jetstream() is None:
                        return  # disconnected: read everything again once back
                    continue
                if entry is None:  # the bucket's current contents have all arrived
                    if fresh is not None:
                        self._revoked, fresh = fresh, None
                        self.loaded.set()
                    continue
                target = self._revoked if fresh is None else fresh
                if entry.operation in (KV_DEL, KV_PURGE):
                    target.discard(entry.key)
                else:
                    target.add(entry.key)
        finally:
            try:
                await watcher.stop()
            except Exception:  # the connection is gone already
                log.debug("stopping the revocation watcher", exc_info=True)


async def revoke(
    servers: str, token_id: str, expires_at: int | None, by: str, reason: str | None = None
) -> None:
    """Put a token on the revocation list (what `expo token revoke` does)."""
    refusals: list[str] = []

    async def remember(error: Exception) -> None:  # a permissions violation arrives here
        refusals.append(str(error))

    connection = await nats.connect(
        **connection_options(servers),
        connect_timeout=5,
        error_cb=remember,
        max_reconnect_attempts=2,
    )
    try:
        kv = await open_bucket(connection.jetstream())
        record = {
            "revoked_at": int(time.time()),
            "expires_at": expires_at,
            "by": by,
            "reason": reason,
        }
        await kv.put(token_id, json.dumps(record).encode())
    except nats.errors.Error as exc:
        # Without the right to write, the server answers nothing: say what it told the client.
        raise RuntimeError("; ".join(refusals) or str(exc) or type(exc).__name__) from exc
    finally:
        await connection.close()
