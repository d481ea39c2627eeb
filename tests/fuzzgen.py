"""A seeded random schema generator with rows, per dialect, for the schema fuzzer
(tests/test_fuzz.py runs a few cases, bench/fuzz.py thousands).

One seed gives one `FuzzSchema`: tables in creation order, each with a primary key (one
integer, two integers, or a short code), data columns of the types dbclone supports, FKs to
earlier tables (composite where the parent's key is), self-references, cycles closed by a
nullable FK added after both tables exist, UNIQUE and CHECK constraints, NULL-heavy, constant
and empty tables, and odd identifiers (quotes, spaces, Unicode, reserved words, the dialect's
maximum length). `ddl()` and `rows()` give what builds the source; every row keeps every
constraint. Options switch on what other issues are adding: NOT NULL cycles and exotic types.
"""

from __future__ import annotations

import datetime as dt
import decimal
import random
import string
from dataclasses import dataclass, field
from typing import Any

#: Longest identifier each dialect takes (PostgreSQL counts bytes; these are ASCII).
MAX_NAME = {"postgresql": 63, "mysql": 64, "sqlite": 64}
#: MariaDB names an FK '<table>_ibfk_<n>' (64 characters at most): tables stay shorter.
MAX_TABLE_NAME = {"postgresql": 63, "mysql": 56, "sqlite": 64}
_RESERVED = ["order", "select", "group", "user", "table", "from", "where", "key", "index",
             "check", "default", "limit", "desc", "column", "references", "primary"]
_ODD = ["my table", "it's", 'say "hi"', "straße", "名前", "ÅÄÖ kolumn", "a-b", "x.y", "Mixed Case",
        "with`tick", "trailing_", "_lead", "ünïcödé", "tab\tname", "percent%", "dollar$"]


@dataclass(frozen=True)
class Options:
    #: Cycles where every FK is NOT NULL (being added by another issue).
    not_null_cycles: bool = False
    #: Types beyond the common ones (arrays, ranges, network, spatial...; another issue).
    exotic: bool = False
    #: Identifiers with quotes, spaces, Unicode, reserved words, maximum length.
    odd_names: bool = True


@dataclass
class FuzzColumn:
    name: str
    kind: str  # int, bigint, smallint, decimal, float, varchar, text, bool, date, datetime,
    #            enum, json, uuid
    nullable: bool = True
    length: int = 0
    values: tuple[str, ...] = ()
    null_rate: float = 0.0
    constant: bool = False
    lo: int = 0
    hi: int = 1000


@dataclass
class FuzzFK:
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    #: Added with ALTER TABLE after every table exists (closes a cycle, or references later).
    late: bool = False


@dataclass
class FuzzTable:
    name: str
    columns: list[FuzzColumn]
    pk: tuple[str, ...]
    fks: list[FuzzFK] = field(default_factory=list)
    uniques: list[tuple[str, ...]] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # column names with a range CHECK
    n_rows: int = 0

    def column(self, name: str) -> FuzzColumn:
        return next(c for c in self.columns if c.name == name)


@dataclass
class FuzzSchema:
    dialect: str
    seed: int
    tables: list[FuzzTable]

    def describe(self) -> str:
        parts = []
        for t in self.tables:
            fks = ",".join(f"{'/'.join(f.columns)}->{f.ref_table}{'*' if f.late else ''}"
                           for f in t.fks)
            parts.append(f"{t.name!r}[{t.n_rows}]({', '.join(c.kind for c in t.columns)})"
                         + (f" fk {fks}" if fks else ""))
        return "; ".join(parts)


class _Names:
    """Identifiers unique within their scope (case-insensitively, as MariaDB compares)."""

    def __init__(self, rng: random.Random, dialect: str, odd: bool, longest: int = 0,
                 avoid: frozenset[str] = frozenset()) -> None:
        self.rng, self.dialect, self.odd, self.avoid = rng, dialect, odd, avoid
        self.longest = longest or MAX_NAME[dialect]
        self.used: set[str] = set()

    def make(self, stem: str) -> str:
        for _ in range(50):
            name = self._candidate(stem)
            if name.lower() not in self.used and name not in self.avoid:
                self.used.add(name.lower())
                return name
        name = f"{stem}_{len(self.used)}"
        self.used.add(name.lower())
        return name

    def _candidate(self, stem: str) -> str:
        roll = self.rng.random() if self.odd else 1.0
        if roll < 0.12:
            return self.rng.choice(_RESERVED)
        if roll < 0.25:
            return self.rng.choice(_ODD)
        if roll < 0.30:  # the longest name the dialect takes
            base = f"{stem}_" + "".join(self.rng.choices(string.ascii_lowercase, k=80))
            return base[:self.longest]
        return f"{stem}{self.rng.randint(0, 99)}"


_KINDS = ["int", "bigint", "smallint", "decimal", "float", "varchar", "text", "bool", "date",
          "datetime", "enum"]
#: With --exotic: more of the type matrix (tests/test_type_matrix.py checks each type alone;
#: here they meet keys, FKs, NULLs and each other).
_EXOTIC = {"postgresql": ["json", "uuid", "time", "interval", "bytes", "inet", "intarray",
                          "textarray", "timestamptz", "char"],
           "mysql": ["json", "time", "bytes", "year", "set", "unsigned", "tinybool", "char"],
           "sqlite": ["bytes", "untyped", "time", "char"]}


def generate(seed: int, dialect: str, options: Options | None = None) -> FuzzSchema:
    options = options or Options()
    rng = random.Random(f"{dialect}:{seed}")
    tables_names = _Names(rng, dialect, options.odd_names, MAX_TABLE_NAME[dialect])
    tables: list[FuzzTable] = []
    for _ in range(rng.randint(1, 5)):
        tables.append(_table(rng, dialect, tables_names.make("t"), tables, options))
    _close_cycle(rng, tables, options)
    for t in tables:
        t.n_rows = rng.choice([0, 1, 3, 20, 60, 150, 300]) if rng.random() < 0.9 else 0
    _fix_counts(tables)
    return FuzzSchema(dialect, seed, tables)


def _table(rng: random.Random, dialect: str, name: str, earlier: list[FuzzTable],
           options: Options) -> FuzzTable:
    names = _Names(rng, dialect, options.odd_names)
    shape = rng.random()
    if shape < 0.6:
        pk_cols = [FuzzColumn(names.make("id"), "int", nullable=False)]
    elif shape < 0.8:
        pk_cols = [FuzzColumn(names.make("k"), "int", nullable=False),
                   FuzzColumn(names.make("k"), "smallint", nullable=False)]
    else:
        pk_cols = [FuzzColumn(names.make("code"), "varchar", nullable=False, length=12)]
    table = FuzzTable(name, list(pk_cols), tuple(c.name for c in pk_cols))
    for parent in rng.sample(earlier, k=min(len(earlier), rng.randint(0, 2))):
        _add_fk(rng, names, table, parent, nullable=rng.random() < 0.5)
    if rng.random() < 0.2:  # a self-reference, nullable (a tree)
        _add_fk(rng, names, table, table, nullable=True)
    kinds = _KINDS + (_EXOTIC[dialect] if options.exotic else [])
    for _ in range(rng.randint(0, 5)):
        table.columns.append(_data_column(rng, names.make("c"), rng.choice(kinds)))
    plain = [c for c in table.columns if c.name not in table.pk and not _in_fk(table, c.name)]
    uniq = [c for c in plain if c.kind in ("int", "bigint", "varchar") and not c.constant]
    if uniq and rng.random() < 0.4:
        chosen = rng.choice(uniq)
        chosen.length = max(chosen.length, 8) if chosen.kind == "varchar" else 0
        table.uniques.append((chosen.name,))
    unique_cols = {cols[0] for cols in table.uniques}
    ranged = [c for c in plain if c.kind in ("int", "smallint", "decimal")
              and c.name not in unique_cols]
    if ranged and rng.random() < 0.5:
        table.checks.append(rng.choice(ranged).name)
    return table


def _in_fk(table: FuzzTable, name: str) -> bool:
    return any(name in fk.columns for fk in table.fks)


def _add_fk(rng: random.Random, names: _Names, table: FuzzTable, parent: FuzzTable,
            nullable: bool, late: bool = False) -> None:
    cols = []
    for ref in parent.pk:
        kind = parent.column(ref).kind
        length = parent.column(ref).length
        col = FuzzColumn(names.make(f"{parent.name[:10]}_ref"), kind, nullable=nullable,
                         length=length, null_rate=0.3 if nullable else 0.0)
        table.columns.append(col)
        cols.append(col.name)
    table.fks.append(FuzzFK(tuple(cols), parent.name, parent.pk, late=late))


def _close_cycle(rng: random.Random, tables: list[FuzzTable], options: Options) -> None:
    """An FK from an earlier table to a later one closes a cycle with the later's FKs."""
    if len(tables) < 2 or rng.random() < 0.6:
        return
    first, last = tables[0], tables[-1]
    names = _Names(rng, "postgresql", False)
    names.used = {c.name.lower() for c in first.columns}
    nullable = not (options.not_null_cycles and rng.random() < 0.5)
    _add_fk(rng, names, first, last, nullable=nullable, late=True)


def _fix_counts(tables: list[FuzzTable]) -> None:
    """A NOT NULL FK needs parent rows: a child of an empty parent is empty too (in the
    order tables were made, so a chain of them empties down the line)."""
    by_name = {t.name: t for t in tables}
    for _ in range(len(tables)):
        for t in tables:
            for fk in t.fks:
                parent = by_name[fk.ref_table]
                required = not t.column(fk.columns[0]).nullable
                if required and parent.n_rows == 0:
                    t.n_rows = 0


def _data_column(rng: random.Random, name: str, kind: str) -> FuzzColumn:
    col = FuzzColumn(name, kind, nullable=rng.random() < 0.6)
    col.null_rate = rng.choice([0.0, 0.1, 0.5, 0.95]) if col.nullable else 0.0
    col.constant = rng.random() < 0.08
    if kind == "varchar":
        col.length = rng.choice([1, 5, 20, 80])
    if kind == "enum":
        col.values = tuple(rng.sample(["red", "green", "blue", "it's", "a b", "ÅÄÖ"],
                                      k=rng.randint(1, 4)))
    if kind in ("int", "smallint", "bigint", "decimal"):
        col.lo = rng.choice([-1000, 0, 1])
        col.hi = col.lo + rng.choice([1, 10, 1000, 30000])
    return col


# -- DDL ---------------------------------------------------------------------------------------

def quote(dialect: str, name: str) -> str:
    if dialect == "mysql":
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


def _sql_type(dialect: str, col: FuzzColumn) -> str:
    kind = col.kind
    if kind == "enum":
        if dialect == "mysql":
            return "ENUM(" + ", ".join(_literal(v) for v in col.values) + ")"
        return "VARCHAR(10)"
    if kind == "varchar":
        return f"VARCHAR({col.length})"
    if kind == "set":
        return "SET(" + ", ".join(_literal(v) for v in _SET_VALUES) + ")"
    if kind in _EXOTIC_SQL:
        return _EXOTIC_SQL[kind][dialect]
    table = {
        "int": "INTEGER", "bigint": "BIGINT", "smallint": "SMALLINT",
        "decimal": "NUMERIC(12, 2)" if dialect != "mysql" else "DECIMAL(12, 2)",
        "float": "DOUBLE PRECISION" if dialect == "postgresql" else "DOUBLE",
        "text": "TEXT", "bool": "BOOLEAN", "date": "DATE",
        "datetime": "TIMESTAMP" if dialect == "postgresql" else "DATETIME",
        "json": "JSONB" if dialect == "postgresql" else "JSON", "uuid": "UUID"}
    return table[kind] if dialect != "sqlite" or kind != "float" else "REAL"


_SET_VALUES = ("a", "b c", "d")
_EXOTIC_SQL = {
    "time": {"postgresql": "TIME", "mysql": "TIME", "sqlite": "TIME"},
    "interval": {"postgresql": "INTERVAL"},
    "bytes": {"postgresql": "BYTEA", "mysql": "BLOB", "sqlite": "BLOB"},
    "inet": {"postgresql": "INET"},
    "intarray": {"postgresql": "INTEGER[]"},
    "textarray": {"postgresql": "TEXT[]"},
    "timestamptz": {"postgresql": "TIMESTAMP WITH TIME ZONE"},
    "char": {"postgresql": "CHAR(3)", "mysql": "CHAR(3)", "sqlite": "CHAR(3)"},
    "year": {"mysql": "YEAR"},
    "unsigned": {"mysql": "INT UNSIGNED"},
    "tinybool": {"mysql": "TINYINT(1)"},
    "untyped": {"sqlite": ""},
}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def ddl(schema: FuzzSchema) -> tuple[list[str], list[str]]:
    """CREATE TABLE statements, and the FKs added once the rows are in."""
    d = schema.dialect
    out = []
    for t in schema.tables:
        parts = [f"{quote(d, c.name)} {_sql_type(d, c)}{'' if c.nullable else ' NOT NULL'}"
                 for c in t.columns]
        parts.append("PRIMARY KEY (" + ", ".join(quote(d, c) for c in t.pk) + ")")
        for cols in t.uniques:
            parts.append("UNIQUE (" + ", ".join(quote(d, c) for c in cols) + ")")
        for name in t.checks:
            c = t.column(name)
            parts.append(f"CHECK ({quote(d, name)} BETWEEN {c.lo} AND {c.hi})")
        for c in t.columns:
            if c.kind == "enum" and d != "mysql":
                parts.append(f"CHECK ({quote(d, c.name)} IN ("
                             + ", ".join(_literal(v) for v in c.values) + "))")
        for fk in t.fks:
            if not fk.late or d == "sqlite":  # SQLite cannot add an FK later; it checks none
                parts.append(_fk_clause(d, fk))
        out.append(f"CREATE TABLE {quote(d, t.name)} (" + ", ".join(parts) + ")")
    late = []
    if d != "sqlite":
        for t in schema.tables:
            for fk in t.fks:
                if fk.late:
                    late.append(f"ALTER TABLE {quote(d, t.name)} ADD {_fk_clause(d, fk)}")
    return out, late


def _fk_clause(d: str, fk: FuzzFK) -> str:
    return ("FOREIGN KEY (" + ", ".join(quote(d, c) for c in fk.columns) + ") REFERENCES "
            + quote(d, fk.ref_table) + " (" + ", ".join(quote(d, c) for c in fk.ref_columns)
            + ")")


# -- rows --------------------------------------------------------------------------------------

def rows(schema: FuzzSchema) -> dict[str, list[dict[str, Any]]]:
    """Rows per table that keep every constraint, late FKs included (they are added to the
    source after the rows, so a NOT NULL cycle needs no deferred check)."""
    rng = random.Random(f"rows:{schema.dialect}:{schema.seed}")
    keys = {t.name: _keys(rng, t) for t in schema.tables}
    out: dict[str, list[dict[str, Any]]] = {}
    for t in schema.tables:
        uniques = {cols[0]: _unique_pool(rng, t.column(cols[0]), t.n_rows) for cols in t.uniques}
        lite = schema.dialect == "sqlite"  # the sqlite3 driver binds no Decimal
        constants = {c.name: _value(rng, c, lite) for c in t.columns if c.constant}
        table_rows = []
        for i, key in enumerate(keys[t.name]):
            row = dict(zip(t.pk, key, strict=True))
            for c in t.columns:
                if c.name in row or _in_fk(t, c.name):
                    continue
                if c.name in uniques:
                    row[c.name] = uniques[c.name][i]
                elif c.name in constants:
                    row[c.name] = constants[c.name]
                elif c.nullable and rng.random() < c.null_rate:
                    row[c.name] = None
                else:
                    row[c.name] = _value(rng, c, lite)
            for fk in t.fks:
                parents = keys[t.name][:i] if fk.ref_table == t.name else keys[fk.ref_table]
                nullable = t.column(fk.columns[0]).nullable
                pick = None if not parents or (nullable and rng.random() < 0.3) \
                    else rng.choice(parents)
                for j, c in enumerate(fk.columns):
                    row[c] = None if pick is None else pick[j]
            table_rows.append(row)
        out[t.name] = table_rows
    return out


def _keys(rng: random.Random, t: FuzzTable) -> list[tuple[Any, ...]]:
    n = t.n_rows
    first = t.column(t.pk[0])
    if len(t.pk) == 2:
        return [(1 + i // 7, i % 7) for i in range(n)]
    if first.kind == "varchar":
        return [(f"K{i:05d}{rng.choice(string.ascii_uppercase)}",) for i in range(n)]
    start, step = rng.choice([1, 1000, 10 ** 6]), rng.choice([1, 1, 3])
    return [(start + i * step,) for i in range(n)]


def _unique_pool(rng: random.Random, col: FuzzColumn, n: int) -> list[Any]:
    if col.kind == "varchar":
        width = max(1, col.length)
        pool = sorted({"".join(rng.choices(string.ascii_lowercase + string.digits, k=width))
                       for _ in range(n * 3)})
        rng.shuffle(pool)
        return [pool[i] if i < len(pool) else f"u{i}"[:width] for i in range(n)]
    lo = col.lo if col.kind != "bigint" else 10 ** 10
    return [lo + i * 3 for i in range(n)]


def _value(rng: random.Random, col: FuzzColumn, sqlite_text: bool = False) -> Any:
    k = col.kind
    if k in ("int", "smallint", "bigint"):
        base = rng.randint(col.lo, col.hi)
        return base if k != "bigint" else base * 10 ** 6
    if k == "decimal":
        cents = rng.randint(col.lo * 100, col.hi * 100)
        return decimal.Decimal(cents).scaleb(-2) if not sqlite_text else f"{cents / 100:.2f}"
    if k == "float":
        return rng.lognormvariate(3, 1.5)
    if k in ("varchar", "text"):
        width = col.length or rng.randint(0, 200)
        words = ["alpha", "beta", "gamma", "ÅÄÖ", "x'y", 'q"z', "tab\there", "back\\slash",
                 "new\nline", "emoji 🎉"]
        text = " ".join(rng.choice(words) for _ in range(1 + width // 6))
        return text[:width] if col.length else text
    if k == "bool":
        return rng.random() < 0.3
    if k == "date":
        return dt.date(1990, 1, 1) + dt.timedelta(days=rng.randint(0, 12000))
    if k == "datetime":
        return dt.datetime(2000, 1, 1) + dt.timedelta(seconds=rng.randint(0, 10 ** 9))
    if k == "enum":
        return rng.choice(col.values)
    if k == "json":
        return '{"a": ' + str(rng.randint(0, 9)) + ', "b": [1, 2]}'
    if k == "uuid":
        return f"{rng.getrandbits(128):032x}"
    return _exotic_value(rng, k, sqlite_text)


def _exotic_value(rng: random.Random, k: str, sqlite_text: bool = False) -> Any:
    if k == "time":
        t = dt.time(rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))
        return t.isoformat() if sqlite_text else t
    if k == "interval":
        return dt.timedelta(days=rng.randint(0, 400), seconds=rng.randint(0, 86399))
    if k == "bytes":
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 24)))
    if k == "inet":
        return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    if k == "intarray":
        return [rng.randint(-50, 50) for _ in range(rng.randint(0, 4))]
    if k == "textarray":
        return [rng.choice(["x", "y z", "ÅÄÖ", "q'q"]) for _ in range(rng.randint(0, 3))]
    if k == "timestamptz":
        return dt.datetime(2001, 1, 1, tzinfo=dt.UTC) + \
            dt.timedelta(seconds=rng.randint(0, 10 ** 9))
    if k == "char":
        return "".join(rng.choices("ABC", k=3))
    if k == "year":
        return rng.randint(1901, 2155)
    if k == "set":
        return ",".join(v for v in _SET_VALUES if rng.random() < 0.5)
    if k == "unsigned":
        return rng.randint(0, 4_000_000_000)
    if k == "tinybool":
        return rng.randint(0, 1)
    if k == "untyped":
        return rng.choice([rng.randint(0, 99), f"t{rng.randint(0, 9)}", rng.random()])
    raise ValueError(k)
