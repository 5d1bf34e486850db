"""The schema comes only from Alembic: migrations match the models and round-trip."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import models
from core.runtime import migrate
from core.runtime.db import make_engine
from core.runtime.partitions import include_object


def test_models_match_migrations(db_url):
    engine = make_engine(db_url)
    with engine.connect() as conn:
        opts = {"compare_type": True}
        if conn.dialect.name == "postgresql":  # partitions and key tables (migration 0115) are not in the models
            opts["include_object"] = include_object
        ctx = MigrationContext.configure(conn, opts=opts)
        diff = compare_metadata(ctx, models.metadata)
    engine.dispose()
    assert diff == []


def test_upgrade_downgrade_round_trip(db_url):
    engine = make_engine(db_url)
    assert migrate.current_revision(engine) == migrate.head_revision()
    migrate.downgrade(db_url, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(db_url)
    assert set(models.metadata.tables) <= set(inspect(engine).get_table_names())
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()
