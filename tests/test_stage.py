"""Chunks written into a PostgreSQL load's side schema by other connections
(dbclone.load.stage): the table built there takes the place of the load's own with no row
copied, a chunk written twice is in once, and a side table unlike the load's is copied in."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import sqlalchemy as sa

from dbclone.dialects import dialect_for
from dbclone.errors import LoadError
from dbclone.load.stage import move_in, side_schema, side_table
from dbclone.schema import Column, Table

_TABLE = Table("item", (Column("id", "integer", "integer", nullable=False),
                        Column("label", "string", "varchar(20)",
                               default="'none'::character varying"),
                        Column("n", "integer", "integer", identity="by default")),
               primary_key=("id",), comment="made by the workers")
_COLS = ("id", "label")


def _chunk(lo: int, hi: int) -> dict[str, np.ndarray]:
    ids = list(range(lo, hi))
    return {"id": np.array(ids, dtype=object),
            "label": np.array([None if i % 3 == 0 else f"x{i}" for i in ids], dtype=object)}


def _load(url: str, made: Table) -> tuple[list[tuple[object, ...]], bool, str | None]:
    """Two chunks (the second written twice, as by a task run again) into the side schema,
    then the load's transaction: `made` created as the load creates it, the chunks moved
    in. The target's rows, whether the table kept the side table's identity (moved, not
    copied), and its comment; its default and identity sequence are the load's."""
    engine = sa.create_engine(url)
    dialect = dialect_for(engine)
    with side_schema(engine, dialect) as stage:
        assert stage is not None
        first = stage.write(_TABLE, _COLS, _chunk(1, 40), 0)
        second = stage.write(_TABLE, _COLS, _chunk(40, 90), 1)
        again = stage.write(_TABLE, _COLS, _chunk(40, 90), 1)
        assert first.whole and second.whole and again.whole
        with engine.connect() as conn:
            side_oid = conn.exec_driver_sql("SELECT %s::regclass::oid", (
                dialect.qualified(side_table(stage, _TABLE)),)).scalar()
        with engine.begin() as conn:
            conn.exec_driver_sql(dialect.create_table_ddl(made, with_fks=False, with_keys=False))
            for stmt in dialect.comment_ddl(made):
                conn.exec_driver_sql(stmt)
            move_in(conn, dialect, stage, made, _COLS, first, last=False)
            move_in(conn, dialect, stage, made, _COLS, second, last=True)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT id, label FROM item ORDER BY id").fetchall()
        oid = conn.exec_driver_sql("SELECT 'item'::regclass::oid").scalar()
        comment = conn.exec_driver_sql("SELECT obj_description('item'::regclass)").scalar()
        assert conn.exec_driver_sql("SELECT pg_get_serial_sequence('item', 'n')").scalar() \
            == "public.item_n_seq"
        assert conn.exec_driver_sql("SELECT column_default FROM information_schema.columns "
                                    "WHERE table_name = 'item' AND column_name = 'label'"
                                    ).scalar() == "'none'::character varying"
    engine.dispose()
    return [tuple(r) for r in rows], oid == side_oid, comment


def test_side_table_takes_the_place(new_db: Callable[[str], str]) -> None:
    rows, moved, comment = _load(new_db("postgresql"), _TABLE)
    assert rows == [(i, None if i % 3 == 0 else f"x{i}") for i in range(1, 90)]
    assert moved and comment == "made by the workers"


def test_side_table_unlike_the_loads_is_copied(new_db: Callable[[str], str]) -> None:
    """The load's table types a column otherwise than the side table (as when a type the
    load creates is one of an earlier load outside its transaction): the rows are copied
    into the load's table, which keeps its own type."""
    label = Column("label", "string", "text", default="'none'::character varying")
    made = Table(_TABLE.name, (_TABLE.columns[0], label, _TABLE.columns[2]),
                 primary_key=("id",), comment=_TABLE.comment)
    url = new_db("postgresql")
    rows, moved, comment = _load(url, made)
    assert rows == [(i, None if i % 3 == 0 else f"x{i}") for i in range(1, 90)]
    assert not moved and comment == "made by the workers"
    with sa.create_engine(url).connect() as conn:
        assert conn.exec_driver_sql("SELECT data_type FROM information_schema.columns "
                                    "WHERE table_name = 'item' AND column_name = 'label'"
                                    ).scalar() == "text"


def test_refused_chunk_is_one_line_naming_the_table(new_db: Callable[[str], str]) -> None:
    """A chunk the database refuses (a label longer than its VARCHAR(20)) fails the write
    with a LoadError naming the table, not the driver's own error (which a worker process
    would send back as it is)."""
    engine = sa.create_engine(new_db("postgresql"))
    dialect = dialect_for(engine)
    with side_schema(engine, dialect) as stage:
        assert stage is not None
        data = _chunk(1, 5)
        data["label"][1] = "x" * 21
        with pytest.raises(LoadError, match=r"^loading table item failed, target left as it "
                                            r"was: .*too long"):
            stage.write(_TABLE, _COLS, data, 0)
    engine.dispose()
