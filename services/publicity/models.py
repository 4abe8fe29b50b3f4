"""Tables the publicity service owns."""

from sqlalchemy import Column, Date, ForeignKey, Integer, String, Table, Text, UniqueConstraint

from shared.db import UtcDateTime, new_metadata

metadata = new_metadata()

items = Table(
    "items",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("source", String(64), nullable=False, index=True),  # county:<code> | group:<code>
    Column("county", String(32)),
    Column("author_unit", String(200), nullable=False),
    Column("title", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("body", Text, nullable=False),
    Column("link", String(500)),
    Column("activity", String(32), nullable=False, index=True),
    Column("channels", Text, nullable=False),  # JSON list of channel codes
    Column("status", String(16), nullable=False, index=True),
    Column("version", Integer, nullable=False),  # content version: +1 per correction
    Column("revision", Integer, nullable=False),  # +1 per change (optimistic concurrency)
    Column("embargo_until", UtcDateTime),
    Column("reason", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
)

item_versions = Table(
    "item_versions",
    metadata,
    Column("item_id", String(36), ForeignKey("items.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("link", String(500)),
    Column("note", Text),  # what a correction changed
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(36), primary_key=True),  # also the webhook-id: stable across retries
    Column("item_id", String(36), ForeignKey("items.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("channel", String(32), nullable=False),
    Column("mode", String(8), nullable=False),  # push | manual
    Column(
        "status", String(16), nullable=False, index=True
    ),  # pending | retrying | published | cancelled
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime),
    Column("last_error", Text),
    Column("reference", String(500)),  # where it appeared: the URL, or page/programme and time
    Column("url", String(500)),  # where it can be read online, when known
    Column("published_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("item_id", "version", "channel", name="uq_deliveries_item_version_channel"),
)

bulletins = Table(
    "bulletins",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("source", String(64), nullable=False, index=True),
    Column("county", String(32)),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("day", Date, nullable=False),  # local day received
    Column("status", String(16), nullable=False),  # received | adopted | not_adopted
    Column("reason", Text),
    Column("decided_at", UtcDateTime),
    Column("decided_by", String(200)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
)
