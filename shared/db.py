"""Database engine, sessions and the platform tables every service's schema includes.

Each service owns one database. SQLite (WAL) is the default; PostgreSQL in compose and CI.
"""

import asyncio
import contextlib
import functools
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
    types,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(types.TypeDecorator):
    """Stores UTC; hands back aware datetimes on every backend (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


def aggregate_time(value: datetime | str | None) -> datetime | None:
    """min()/max() of a time column: SQLite hands back naive text (the column type is bypassed)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# An autoincrementing 64-bit key that SQLite also accepts as its rowid alias.
SequenceKey = BigInteger().with_variant(Integer, "sqlite")


def new_metadata() -> MetaData:
    """A service's metadata, already holding the platform tables (outbox, inbox, idempotency)."""
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    add_platform_tables(metadata)
    return metadata


def add_platform_tables(metadata: MetaData) -> None:
    Table(
        "outbox",
        metadata,
        Column("seq", SequenceKey, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("subject", String(200), nullable=False),
        Column("payload", Text, nullable=False),
        Column("headers", Text, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("published_at", UtcDateTime),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text),
        Index("ix_outbox_unpublished", "published_at", "seq"),
    )
    Table(
        "inbox",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(36), primary_key=True),
        Column("processed_at", UtcDateTime, nullable=False),
    )
    Table(
        "idempotency_keys",
        metadata,
        Column("principal", String(200), primary_key=True),
        Column("key", String(200), primary_key=True),
        Column("fingerprint", String(64), nullable=False),
        Column("status_code", Integer, nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
    )


def create_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # WAL lets the outbox relay read while requests write; foreign keys are off by default.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_async_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def writer_queue(
    url: str, observe_wait: Callable[[float], None] = lambda _seconds: None
) -> AbstractAsyncContextManager:
    """What a process's units of work hold from their start to their commit.

    SQLite takes one writer at a time, and a writer that finds the database locked sleeps in
    SQLite's busy handler (1, 2, 5 ... 100 ms between tries), often long after the lock was
    freed: under concurrent requests most of the tail latency was those sleeps. Writers of
    one process queue here instead, each starting as soon as the one before has committed;
    `observe_wait` is told how long each waited. PostgreSQL locks rows, not the database:
    nothing to queue there.
    """
    return WriterQueue(observe_wait) if url.startswith("sqlite") else contextlib.nullcontext()


class WriterQueue:
    def __init__(self, observe_wait: Callable[[float], None]) -> None:
        self._lock = asyncio.Lock()
        self._observe_wait = observe_wait

    async def __aenter__(self) -> None:
        arrived = time.perf_counter()
        await self._lock.acquire()
        self._observe_wait(time.perf_counter() - arrived)

    async def __aexit__(self, *exc_info) -> None:
        self._lock.release()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def dialect_insert(session: AsyncSession, table: Table):
    return _insert_for(session)(table)


def _insert_for(session: AsyncSession):
    postgres = session.get_bind().dialect.name == "postgresql"
    return postgresql_insert if postgres else sqlite_insert


async def add_to_counter(
    session: AsyncSession, table: Table, key: dict, column: str, by: int = 1
) -> None:
    """`column += by` for the row with `key`, creating it at `by` if missing, in one statement.

    Projections are mostly counters; one upsert beats select-then-insert-or-update.
    """
    await add_to_counters(session, table, list(key), column, [{**key, column: by}])


async def add_to_counters(
    session: AsyncSession, table: Table, key: list[str], column: str, rows: list[dict]
) -> None:
    """`add_to_counter` for many rows (each its key columns and the amount), one round trip."""
    statement = _counter_upsert(_insert_for(session), table, tuple(key), column)
    await session.execute(statement, rows)  # executemany


async def upsert_newest(session: AsyncSession, table: Table, key: str, rows: list[dict]) -> None:
    """Write many versioned rows in one round trip, keeping for each `key` the highest
    `version`: of these rows, and against what the table already holds (events may come
    again or out of order)."""
    newest: dict = {}
    for row in rows:
        if row[key] not in newest or newest[row[key]]["version"] < row["version"]:
            newest[row[key]] = row
    if not newest:
        return
    columns = tuple(c for c in next(iter(newest.values())) if c != key)
    statement = _newest_upsert(_insert_for(session), table, key, columns)
    await session.execute(statement, list(newest.values()))  # executemany


# The bulk statements are built once per shape: building one (its `excluded` alias above all)
# cost more than executing it for a batch of a replay.
@functools.cache
def _counter_upsert(insert, table: Table, key: tuple[str, ...], column: str):
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=list(key), set_={column: table.c[column] + statement.excluded[column]}
    )


@functools.cache
def _newest_upsert(insert, table: Table, key: str, columns: tuple[str, ...]):
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=[key],
        set_={c: statement.excluded[c] for c in columns},
        where=table.c.version < statement.excluded.version,
    )


async def upsert(session: AsyncSession, table: Table, key: dict, values: dict) -> None:
    """Insert the row with `key`, or set `values` on it if it exists, in one statement."""
    statement = dialect_insert(session, table).values(**key, **values)
    await session.execute(statement.on_conflict_do_update(index_elements=list(key), set_=values))
