"""Projections the reporting service keeps from other services' events."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from shared.db import SequenceKey, UtcDateTime, new_metadata

metadata = new_metadata()

county_units = Table(
    "county_units",
    metadata,
    Column("county", String(32), primary_key=True),
    Column("units", Integer, nullable=False),
)

# Replicas of what the other services reported, one row per thing, so every figure is a
# GROUP BY and the whole set can be rebuilt by replaying the streams.
achievements = Table(
    "achievements",
    metadata,
    Column("achievement_id", String(36), primary_key=True),
    Column("county", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("version", Integer, nullable=False),
)

halls = Table(
    "halls",
    metadata,
    Column("hall_id", String(36), primary_key=True),
    Column("county", String(32)),  # NULL: a themed hall
    Column("stage", String(32), nullable=False),
    Column("inspection_failed", Boolean, nullable=False),
)

booths = Table(
    "booths",
    metadata,
    Column("booth_id", String(36), primary_key=True),
    Column("county", String(32)),
    Column("achievement_id", String(36)),
)

releases = Table(
    "releases",
    metadata,
    Column("release_id", String(36), primary_key=True),
    Column("county", String(32), nullable=False),
    Column("status", String(16), nullable=False),
)

projects = Table(
    "projects",
    metadata,
    Column("project_id", String(36), primary_key=True),
    Column("county", String(32), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("amount_cny", BigInteger, nullable=False),
    Column("version", Integer, nullable=False),
    Column("stage_since", UtcDateTime),  # when an event moved it into its stage
)

publicity_items = Table(
    "publicity_items",
    metadata,
    Column("item_id", String(36), primary_key=True),
    Column("county", String(32)),
    Column("status", String(16), nullable=False),
    Column("channels_published", Integer, nullable=False),
)

bulletins = Table(
    "bulletins",
    metadata,
    Column("bulletin_id", String(36), primary_key=True),
    Column("source", String(64), nullable=False),
    Column("county", String(32)),
    Column("status", String(16), nullable=False),
)


# What a rebuild forgets and replays (reporting's own records, such as tasks and the people
# they name, are not here). The streams replayed are the other services': reporting's own,
# whose retired task events named people, is never read back into it.
PROJECTIONS = (
    county_units,
    achievements,
    halls,
    booths,
    releases,
    projects,
    publicity_items,
    bulletins,
)

# Reporting's own records (not projections: a rebuild keeps them).

# The people tasks name as responsible (责任人), one row per name per working group: the one
# place their names are kept. Events and every other table refer to them by `id`; an erasure
# blanks the name (NULL) and keeps the id, to which tasks and published events still point.
responsibles = Table(
    "responsibles",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("group", String(32), nullable=False),
    Column("name", String(100)),  # NULL once erased
    Column("erased_at", UtcDateTime),
    Column("erased_by", String(200)),
    UniqueConstraint("group", "name"),  # an erased row (NULL) never matches a name again
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("group", String(32), nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("responsible_id", String(36), ForeignKey("responsibles.id"), nullable=False, index=True),
    Column("deadline", UtcDateTime, nullable=False),
    Column("quality_standard", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("progress", Integer, nullable=False),
    Column("blocked_reason", Text),
    Column("overdue_at", UtcDateTime),  # when it was found overdue (said once)
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
)

task_updates = Table(
    "task_updates",
    metadata,
    Column("seq", SequenceKey, primary_key=True, autoincrement=True),
    Column("task_id", String(36), ForeignKey("tasks.id"), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("progress", Integer, nullable=False),
    Column("note", Text),
    Column("actor", String(200), nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

reports = Table(
    "reports",
    metadata,
    Column("reporter", String(64), primary_key=True),  # county:<code> | group:<code>
    Column("period", String(16), primary_key=True),
    Column("version", Integer, primary_key=True),  # a correction is a new version
    Column("done", Text, nullable=False),
    Column("next", Text, nullable=False),
    Column("problems", Text, nullable=False),  # needing coordination (协调解决问题)
    Column("rag", String(8), nullable=False),
    Column("submitted_at", UtcDateTime, nullable=False),
    Column("submitted_by", String(200), nullable=False),
)

report_alerts = Table(
    "report_alerts",
    metadata,
    Column("reporter", String(64), primary_key=True),
    Column("period", String(16), primary_key=True),
    Column("level", Integer, primary_key=True),  # 1 overdue, 2..4 escalations: each once
    Column("at", UtcDateTime, nullable=False),
)

briefings = Table(
    "briefings",
    metadata,
    Column("day", Date, primary_key=True),
    Column("markdown", Text, nullable=False),
    Column("html", Text, nullable=False),
    Column("snapshot", Text, nullable=False),  # JSON figures, to tell tomorrow what changed
    Column("issued_at", UtcDateTime, nullable=False),
    Column("issued_by", String(200), nullable=False),
)
