"""MySQL and MariaDB: AUTO_INCREMENT, ENUM/SET, non-transactional DDL, multi-row inserts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import uuid
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import pymysql
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from dbclone import faults
from dbclone.connect import share_tls_context
from dbclone.dialects import mysql_catalog, pg_copy
from dbclone.dialects.base import Dialect
from dbclone.dialects.scratch import scratch_file
from dbclone.schema import Column, Index, Schema, Table, View

#: Table options kept in `Table.options`, by the inspector's key.
_OPTIONS = {"mysql_engine": "engine", "mysql_default charset": "charset",
            "mysql_collate": "collation"}


def _literal(text: str) -> str:
    """A string literal of catalog text; '%' doubled as PyMySQL formats it (`_esc`)."""
    return "'" + _esc(text).replace("\\", "\\\\").replace("'", "''") + "'"


def _esc(text: str) -> str:
    """Catalog text (a view, trigger, ON UPDATE) put into a statement: PyMySQL reads '%' as
    a placeholder (Dialect.sql_text)."""
    return text.replace("%", "%%")


class MySQLDialect(Dialect):
    name: ClassVar[str] = "mysql"
    #: DDL commits implicitly, so a failed load must drop what it created.
    transactional_ddl: ClassVar[bool] = False
    load_via: ClassVar[str] = "staging_database"
    #: LOAD DATA LOCAL INFILE is used until the server refuses it.
    local_infile: bool = True
    checks_fks_on_load: ClassVar[bool] = False
    batch_rows: ClassVar[int] = 50000

    def default_schema(self, inspector: Any) -> str | None:
        return None

    def kind_of(self, sa_type: Any) -> str:
        from sqlalchemy.dialects import mysql

        if isinstance(sa_type, mysql.SET):
            return "enum"
        if isinstance(sa_type, mysql.TINYINT) and getattr(sa_type, "display_width", None) == 1:
            return "boolean"
        if isinstance(sa_type, mysql.YEAR):
            return "integer"
        return super().kind_of(sa_type)

    def epoch_seconds_sql(self, expr: str) -> str:
        # Not UNIX_TIMESTAMP: it follows the session's time zone and is 0 before 1970.
        return f"TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', {expr})"

    def begin_read_only(self, conn: Connection) -> None:
        conn.exec_driver_sql("START TRANSACTION READ ONLY")

    def key_hash(self, columns: Sequence[str]) -> str | None:
        return f"CAST(CONV(LEFT(MD5(CONCAT_WS('|', {', '.join(columns)})), 8), 16, 10) AS UNSIGNED)"

    def stream_cursor(self, conn: Connection) -> Any:
        raw = conn.connection.dbapi_connection
        return raw.cursor(pymysql.cursors.SSCursor)  # type: ignore[union-attr]  # unbuffered

    def reflected(self, what: str, value: Any) -> Any:
        return mysql_catalog.unescaped(what, value)

    def column_extras(self, info: dict[str, Any], table: str) -> dict[str, Any]:
        return {"unsigned": bool(getattr(info["type"], "unsigned", False))}

    def column_ddl(self, col: Column) -> str:
        sql = super().column_ddl(col)
        if col.nullable and not col.computed:
            sql += " NULL"  # explicit: a bare TIMESTAMP may otherwise become NOT NULL
        if col.on_update:
            sql += f" ON UPDATE {_esc(col.on_update)}"
        if col.autoincrement:
            sql += " AUTO_INCREMENT"
        if col.comment is not None:
            sql += f" COMMENT {_literal(col.comment)}"
        return sql

    def refine_table(self, conn: Connection, table: Table,
                     read: Callable[[str], Table]) -> Table:
        table = mysql_catalog.refine(conn, table)
        table = mysql_catalog.missing_fks(conn, table)
        raw = sa.inspect(conn).get_table_options(table.name, schema=table.schema)
        options = tuple(sorted((key, str(raw[k])) for k, key in _OPTIONS.items() if raw.get(k)))
        return dataclasses.replace(table, options=options)

    def views(self, conn: Connection, schema: str | None) -> tuple[View, ...]:
        return mysql_catalog.views(conn, schema)

    def post_load_ddl(self, schema: Schema) -> list[str]:
        """Views (each after the views it reads) and triggers. A staged load runs these in
        the staging database to prove they work, drops them there (RENAME TABLE moves
        neither views nor tables with triggers to another database) and runs them again in
        the target after the swap."""
        stmts = [f"CREATE VIEW {self.quote(v.name)} AS {_esc(v.definition)}"
                 for v in _dependency_order(schema.views)]
        return stmts + [_esc(t.definition) for table in schema.tables for t in table.triggers]

    def unstage_ddl(self, schema: Schema) -> list[str]:
        """Drop what `post_load_ddl` made in the staging database, before the swap."""
        stmts = [f"DROP TRIGGER {self.quote(t.name)}" for table in schema.tables
                 for t in table.triggers]
        return stmts + [f"DROP VIEW {self.quote(v.name)}"
                        for v in reversed(_dependency_order(schema.views))]

    def after_swap_ddl(self, schema: Schema, old_views: list[str],
                       parked: list[str]) -> list[str]:
        """What follows the swap in the target: the parked old tables and the old views go,
        the clone's views and triggers come. Every statement may run twice (each CREATE
        follows a DROP ... IF EXISTS of its name), because a run killed half-way through
        leaves them in its journal (`journal_name`) and the next load runs them all again."""
        q = self.quote
        stmts = [f"DROP TABLE IF EXISTS {q(t)}" for t in parked]
        stmts += [f"DROP VIEW IF EXISTS {q(v)}" for v in old_views]
        for v in _dependency_order(schema.views):
            stmts += [f"DROP VIEW IF EXISTS {q(v.name)}",
                      f"CREATE VIEW {q(v.name)} AS {_esc(v.definition)}"]
        for table in schema.tables:
            for t in table.triggers:
                stmts += [f"DROP TRIGGER IF EXISTS {q(t.name)}", _esc(t.definition)]
        return stmts

    def journal_name(self, token: str) -> str:
        """A table holding `after_swap_ddl`'s statements: built in the staging database and
        renamed into the target by the same RENAME TABLE as the clone's tables, dropped once
        the statements have run. Found in the target, it is the unfinished work of a run
        killed after its swap."""
        return f"{JOURNAL_PREFIX}{token}"

    def journals(self, conn: Connection) -> list[str]:
        """Journals left in the connection's database by runs killed after their swap."""
        return [r[0] for r in conn.exec_driver_sql(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
            "AND TABLE_NAME LIKE %s ORDER BY CREATE_TIME, TABLE_NAME",
            (JOURNAL_PREFIX.replace("_", "\\_") + "%",))]

    def triggered_tables(self, conn: Connection) -> list[str]:
        """Tables of the connection's database that have triggers."""
        return sorted({r[0] for r in conn.exec_driver_sql(
            "SELECT EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS "
            "WHERE TRIGGER_SCHEMA = DATABASE()")})

    def table_options(self, table: Table) -> str:
        opts = dict(table.options) or {"engine": "InnoDB", "charset": "utf8mb4"}
        sql = ""
        if "engine" in opts:
            sql += f" ENGINE={opts['engine']}"
        if "charset" in opts:
            sql += f" DEFAULT CHARSET={opts['charset']}"
        if "collation" in opts:
            sql += f" COLLATE={opts['collation']}"
        if table.comment is not None:
            sql += f" COMMENT={_literal(table.comment)}"
        return sql

    def create_index_ddl(self, table: Table | View, index: Index) -> str:
        sql = super().create_index_ddl(table, index)
        for kind in ("FULLTEXT", "SPATIAL"):  # the index kind goes before INDEX here
            if index.definition and index.definition.startswith(kind + " "):
                sql = sql.replace("CREATE INDEX", f"CREATE {kind} INDEX", 1)
                sql = sql.replace(f" {self.sql_text(index.definition)}",
                                  f" {self.sql_text(index.definition[len(kind) + 1:])}")
        return sql

    def drop_existing(self, conn: Connection, name: str, schema: str | None) -> None:
        conn.exec_driver_sql("SET SESSION foreign_key_checks = 0")
        super().drop_existing(conn, name, schema)

    def prepare_load(self, conn: Connection) -> None:
        # FKs are added after the rows without a table copy, and checked by verify().
        # unique_checks stays on: with both off MariaDB's bulk insert into an empty table
        # took 12-14 s for 950k rows against 8 s (LOAD DATA, MariaDB 10.11).
        conn.exec_driver_sql("SET SESSION foreign_key_checks = 0")

    def reset_sequence_sql(self, table: Table) -> list[str]:
        # InnoDB moves AUTO_INCREMENT past explicitly inserted keys by itself.
        return []

    # -- bulk loading: LOAD DATA LOCAL INFILE, multi-row INSERTs where it cannot be used -------
    def load_engine(self, engine: Engine) -> Engine:
        return share_tls_context(sa.create_engine(engine.url, poolclass=sa.pool.NullPool,
                                                  connect_args={"local_infile": True}))

    def bulk_insert_columns(self, conn: Connection, table: Table, columns: Sequence[str],
                            values: list[list[Any]]) -> None:
        """LOAD DATA from a tab-separated file (the same text format as PostgreSQL's COPY):
        the server parses it, where PyMySQL would escape every value in Python."""
        encoded = _load_data_columns(values) if self.local_infile else None
        if encoded is None or not values or not values[0]:
            super().bulk_insert_columns(conn, table, columns, values)
            return
        cursor = conn.connection.cursor()
        with scratch_file(".tsv") as (data, data_path):  # nothing left behind by kill -9
            data.write(pg_copy.encode_columns(encoded))
            data.flush()
            faults.point("load-data")
            try:
                cursor.execute(
                    f"LOAD DATA LOCAL INFILE %s INTO TABLE {self.qualified(table)} CHARACTER SET "
                    "utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY "
                    f"'\\n' ({self._cols(columns)})", (data_path,))
                cursor.execute("SHOW WARNINGS LIMIT 1")
                warning = cursor.fetchone()
            except pymysql.err.MySQLError as exc:
                if not exc.args or exc.args[0] not in _LOCAL_INFILE_REFUSED:
                    raise
                self.local_infile = False  # the server refuses LOCAL INFILE: INSERT instead
                super().bulk_insert_columns(conn, table, columns, values)
                return
            finally:
                cursor.close()
        if warning:  # LOCAL turns data errors into warnings: never accept a silent change
            raise ValueError(f"{warning[2]} (MySQL warning {warning[1]})")

    # -- all-or-nothing loads through a staging database (DDL commits implicitly here) --------
    def lock_load(self, conn: Connection) -> bool:
        return bool(conn.exec_driver_sql(
            "SELECT GET_LOCK(LEFT(CONCAT('dbclone.load.', DATABASE()), 64), 0)").scalar())

    def unlock_load(self, conn: Connection) -> None:
        conn.exec_driver_sql("SELECT RELEASE_LOCK(LEFT(CONCAT('dbclone.load.', DATABASE()), 64))")

    def staging_name(self, db: str, token: str) -> tuple[str, str]:
        """Side databases of one load: where the new tables are built, where old ones go."""
        staging = f"{self._staging_prefix(db)}{token}"
        return staging, f"{staging}_old"

    def _staging_prefix(self, db: str) -> str:
        return f"{db[:40]}__dbclone_"  # names stay under MySQL's 64 characters

    def parking_name(self, token: str, i: int) -> str:
        """Where the i-th old table with triggers waits inside the target during a swap."""
        return f"{PARKING_PREFIX}{token}_{i}"

    def before_park_sql(self, conn: Connection, parked: list[str]) -> list[str]:
        """The FKs of the old tables parked in the target are dropped first: InnoDB keeps a
        named FK's name per database, so the clone's table bringing the same name in by the
        swap failed it (sakila's payment.fk_payment_customer: 'Table ./db/customer already
        exists', every --replace of a database whose tables have triggers and named FKs).
        The parked tables are dropped right after the swap."""
        if not parked:
            return []
        marks = ", ".join(["%s"] * len(parked))
        rows = conn.exec_driver_sql(
            "SELECT TABLE_NAME, CONSTRAINT_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS "
            f"WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME IN ({marks}) "
            "ORDER BY TABLE_NAME, CONSTRAINT_NAME", tuple(parked)).fetchall()
        q = self.quote
        return [f"ALTER TABLE {q(t)} DROP FOREIGN KEY {q(fk)}" for t, fk in rows]

    def fk_restore_sql(self, conn: Connection, tables: list[str]) -> list[str]:
        """Statements putting back the FKs `before_park_sql` drops from `tables`, written to a
        journal in the target before the drop and moved out by the swap's RENAME: a run
        killed between the drop and the swap leaves the old tables without those FKs, and the
        next load's recovery (`journals`) adds them again (checks off: the rows are the ones
        they held; IF NOT EXISTS: a kill before the drop leaves them in place)."""
        if not tables:
            return []
        marks = ", ".join(["%s"] * len(tables))
        rows = conn.exec_driver_sql(
            "SELECT rc.TABLE_NAME, rc.CONSTRAINT_NAME, rc.UPDATE_RULE, rc.DELETE_RULE, "
            "k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA, k.REFERENCED_TABLE_NAME, "
            "k.REFERENCED_COLUMN_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS rc "
            "JOIN information_schema.KEY_COLUMN_USAGE k ON k.CONSTRAINT_SCHEMA = "
            "rc.CONSTRAINT_SCHEMA AND k.TABLE_NAME = rc.TABLE_NAME AND k.CONSTRAINT_NAME = "
            "rc.CONSTRAINT_NAME WHERE rc.CONSTRAINT_SCHEMA = DATABASE() AND rc.TABLE_NAME "
            f"IN ({marks}) ORDER BY rc.TABLE_NAME, rc.CONSTRAINT_NAME, k.ORDINAL_POSITION",
            tuple(tables)).fetchall()
        here = conn.exec_driver_sql("SELECT DATABASE()").scalar()
        fks: dict[tuple[str, str], list[Any]] = {}
        for row in rows:
            fks.setdefault((row[0], row[1]), []).append(row)
        q = self.quote
        out = []
        for (table, name), cols in fks.items():
            _, _, on_update, on_delete, _, ref_db, ref_table, _ = cols[0]
            ref = q(ref_table) if ref_db == here else f"{q(ref_db)}.{q(ref_table)}"
            out.append(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} FOREIGN KEY IF NOT "
                       f"EXISTS ({', '.join(q(c[4]) for c in cols)}) REFERENCES {ref} "
                       f"({', '.join(q(c[7]) for c in cols)}) ON DELETE {on_delete} "
                       f"ON UPDATE {on_update}")
        if not out:
            return []
        return ["SET SESSION foreign_key_checks = 0", *out, "SET SESSION foreign_key_checks = 1"]

    def parked_tables(self, conn: Connection) -> list[str]:
        """Parked old tables of the connection's database (left behind only by a run killed
        right after its swap)."""
        return [t for t in self.user_tables(conn, None) if t.startswith(PARKING_PREFIX)]

    def staging_databases(self, conn: Connection, db: str) -> list[str]:
        """Side databases of earlier loads into `db` (left behind only by a killed run)."""
        prefix = self._staging_prefix(db)
        names = conn.exec_driver_sql("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA")
        return [n for (n,) in names if n.startswith(prefix)]

    def create_database_sql(self, conn: Connection, db: str, name: str) -> str:
        charset, collation = conn.exec_driver_sql(
            "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM "
            "information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (db,)).one()
        return f"CREATE DATABASE {self.quote(name)} CHARACTER SET {charset} COLLATE {collation}"

    def swap_sql(self, db: str, staging: str, trash: str, old: list[str], new: list[str],
                 parked: dict[str, str] | None = None) -> str:
        """One RENAME TABLE: atomic, so clients see the old tables or the new, never a mix.
        InnoDB foreign keys follow their tables. Old tables with triggers cannot leave their
        database: they are renamed inside it (`parked`: old name -> parking name)."""
        q = self.quote
        parked = parked or {}
        moves = [f"{q(db)}.{q(t)} TO {q(db)}.{q(parked[t])}" if t in parked
                 else f"{q(db)}.{q(t)} TO {q(trash)}.{q(t)}" for t in old]
        moves += [f"{q(staging)}.{q(t)} TO {q(db)}.{q(t)}" for t in new]
        return "RENAME TABLE " + ", ".join(moves)

    def sequence_problems(self, conn: Connection, table: Table) -> list[str]:
        out = []
        for col in table.columns:
            if not col.autoincrement:
                continue
            nxt = conn.exec_driver_sql(
                "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE "
                "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s", (table.name,)).scalar()
            top = conn.exec_driver_sql(
                f"SELECT MAX({self.quote(col.name)}) FROM {self.qualified(table)}").scalar()
            if top is not None and nxt is not None and nxt <= top:
                out.append(f"{table.name}.{col.name}: AUTO_INCREMENT is {nxt}, but the column "
                           f"already holds up to {top}")
        return out


#: Names of old tables with triggers, parked inside the target while it is swapped.
PARKING_PREFIX = "_dbclone_old_"
#: Names of the journals of statements still to run in the target after a swap.
JOURNAL_PREFIX = "_dbclone_todo_"


def _dependency_order(views: tuple[View, ...]) -> list[View]:
    """Views ordered so that each comes after the views its SELECT names (SHOW CREATE VIEW
    quotes every identifier, so a view is named as `name`)."""
    pending = list(views)
    done: list[View] = []
    while pending:
        names = {v.name for v in pending}
        ready = [v for v in pending
                 if not any(f"`{n.replace('`', '``')}`" in v.definition
                            for n in names - {v.name})]
        if not ready:  # a cycle cannot exist between views; keep the rest as they come
            ready = pending[:1]
        done += ready
        pending = [v for v in pending if v not in ready]
    return done


#: Server error codes meaning "LOAD DATA LOCAL is disabled here".
_LOCAL_INFILE_REFUSED = (1148, 2068, 3948)
#: Value types whose COPY text is also what LOAD DATA reads (naive datetimes only).
_LOAD_DATA_TYPES = frozenset({int, float, str, decimal.Decimal, dt.date, dt.datetime, dt.time,
                              uuid.UUID})


def _load_data_columns(values: list[list[Any]]) -> list[list[Any]] | None:
    """The columns ready for LOAD DATA (booleans as 1/0), or None when a value has no safe
    text form there (bytes, intervals, time-zone-aware timestamps, arrays)."""
    out = []
    for col in values:
        kinds = set(map(type, col)) - {type(None)}
        if bool in kinds:
            if kinds != {bool}:
                return None
            col = [None if v is None else int(v) for v in col]
        elif not kinds <= _LOAD_DATA_TYPES or _aware(col, kinds):
            return None
        out.append(col)
    return out


def _aware(col: list[Any], kinds: set[type]) -> bool:
    return dt.datetime in kinds and any(getattr(v, "tzinfo", None) for v in col)
