"""Column types shared by the tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import Field
from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Timestamps are stored in UTC and always come back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Integer columns are 32-bit on PostgreSQL (64 on SQLite): a larger number names no row, and a driver fails
# on it (psycopg "integer out of range", sqlite3 OverflowError). Every integer a caller sends that reaches SQL
# (ids in paths, query filters, token claims) is one of these, so it is a 422 naming the field instead.
DB_INT_MAX = 2**31 - 1
DbInt = Annotated[int, Field(ge=0, le=DB_INT_MAX)]
DbId = Annotated[int, Field(ge=1, le=DB_INT_MAX)]

# JSONB on PostgreSQL (indexable, compact), plain JSON text elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)
