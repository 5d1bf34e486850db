"""Set-based writes of a page of rows: COPY and `INSERT … SELECT` on PostgreSQL, executemany elsewhere.

A pipelined executemany costs PostgreSQL a statement per row (parse-free, but an executor start-up and a
protocol round each); COPY streams the page as one statement. Values go through each column's own bind
processor (UTC timestamps, JSON), so a row lands exactly as the ORM or a Core insert would write it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, insert, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError


def copies(conn: Connection) -> bool:
    """Whether this connection can COPY (PostgreSQL through psycopg 3)."""
    return conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"


class Preformatted(str):
    """A value already in the text form COPY writes for its column (e.g. JSON text for a JSON column): its bind
    processor is skipped, so a payload serialised once for its hash is not serialised again. COPY only."""


def _processors(conn: Connection, table: Table, columns: Sequence[str]) -> list[Callable[[Any], Any] | None]:
    """Each column's bind processor (None: the driver takes the value as it is; our enums are StrEnums,
    which psycopg writes as their value)."""
    return [table.c[name].type._cached_bind_processor(conn.dialect) for name in columns]


def _values(processors: list[Callable[[Any], Any] | None], columns: Sequence[str], row: Mapping[str, Any]) -> list:
    return [value if process is None or type(value) is Preformatted else process(value)
            for process, value in zip(processors, map(row.__getitem__, columns), strict=True)]


def copy_rows(conn: Connection, table: Table, rows: Iterable[Mapping[str, Any]], columns: Sequence[str],
              *, into: str | None = None) -> int:
    """COPY `rows` (mappings holding every name in `columns`) into `table`, or into the table named `into`
    that has the same columns (a staging table). PostgreSQL only; returns the number of rows."""
    import psycopg
    from psycopg import sql

    target = sql.Identifier(into or table.name)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(target, sql.SQL(", ").join(map(sql.Identifier, columns)))
    processors = _processors(conn, table, columns)
    count = 0
    raw = conn.connection.driver_connection
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(_values(processors, columns, row))
                count += 1
    except psycopg.Error as exc:  # as SQLAlchemy raises it (IntegrityError...), so callers catch one family
        raise DBAPIError.instance(statement.as_string(raw), None, exc, psycopg.Error) from exc
    return count


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
    """Insert `rows` (mappings holding every name in `columns`): COPY on PostgreSQL, executemany elsewhere."""
    if copies(conn):
        copy_rows(conn, table, rows, columns)
    else:
        conn.execute(insert(table), list(rows))


def next_ids(conn: Connection, table: Table, n: int) -> list[int] | None:
    """`n` ids drawn from the sequence behind `table.id` in one round trip (PostgreSQL), so rows written by
    COPY need no read-back; None elsewhere."""
    if conn.dialect.name != "postgresql":
        return None
    return list(conn.execute(text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
                             {"t": f'"{table.name}"', "n": n}).scalars())


def insert_returning(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], columns: Sequence[str],
                     returning: Sequence[str]) -> list[Any]:
    """Insert `rows` with one `INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING`, fed by COPY into a
    temporary staging table. Rows that met a unique key are skipped: compare the count returned with
    `len(rows)` to notice them. PostgreSQL only."""
    stage = f"{table.name}_stage"
    names = ", ".join(f'"{c}"' for c in columns)
    # Only the listed columns, no constraints and no defaults (so no sequence is drawn for the stage).
    conn.execute(text(f'CREATE TEMP TABLE IF NOT EXISTS "{stage}" ON COMMIT DROP AS '
                      f'SELECT {names} FROM "{table.name}" WITH NO DATA'))
    conn.execute(text(f'TRUNCATE "{stage}"'))  # an earlier page of the same transaction used it
    copy_rows(conn, table, rows, columns, into=stage)
    back = ", ".join(f'"{c}"' for c in returning)
    return conn.execute(text(f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM "{stage}" '
                             f'ON CONFLICT DO NOTHING RETURNING {back}')).all()


def update_by_id(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]],
                 constant: Mapping[str, Any] | None = None) -> None:
    """Set per-row values (each row: "id" and the same other keys) plus `constant` ones on the rows of
    `table` with those ids: one `UPDATE … FROM unnest(arrays)` on PostgreSQL, an executemany elsewhere."""
    if not rows:
        return
    constant = dict(constant or {})
    names = [name for name in rows[0] if name != "id"]
    if conn.dialect.name != "postgresql":
        stmt = update(table).where(table.c.id == bindparam("_id")).values(
            **{name: bindparam(f"_{name}") for name in names}, **constant)
        conn.execute(stmt, [{f"_{key}": value for key, value in row.items()} for row in rows])
        return
    columns = ["id", *names]
    processors = _processors(conn, table, columns)
    arrays = {f"a{i}": list(values)
              for i, values in enumerate(zip(*(_values(processors, columns, row) for row in rows), strict=True))}
    casts = ", ".join(f"CAST(:a{i} AS {table.c[name].type.compile(conn.dialect)}[])"
                      for i, name in enumerate(columns))
    targets = [f'"{name}" = v."{name}"' for name in names]
    params = dict(arrays)
    for i, (name, value) in enumerate(constant.items()):
        (process,) = _processors(conn, table, [name])
        targets.append(f'"{name}" = :c{i}')
        params[f"c{i}"] = value if process is None else process(value)
    alias = ", ".join(f'"{name}"' for name in columns)
    conn.execute(text(f'UPDATE "{table.name}" AS t SET {", ".join(targets)} FROM unnest({casts}) AS v({alias}) '
                      f'WHERE t.id = v.id'), params)


__all__ = ["Preformatted", "copies", "copy_rows", "insert_returning", "insert_rows", "next_ids", "update_by_id"]
