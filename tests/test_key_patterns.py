"""Text primary keys from a short pattern (`^[A-Z]{2}$`, `^[A-Z]{3}$`): unique at any seed and
scale, in the source's format, or refused before loading with the number of values the format
holds. Before: a duplicate key at one seed, at every seed at --scale 2, and repaired keys
that broke the format ("338", "10")."""

from __future__ import annotations

import itertools
import re
import string
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from dbclone.api import clone
from dbclone.connect import engine_for
from dbclone.errors import DbcloneError
from dbclone.introspect import introspect
from dbclone.synth.columns.keyspace import KeySpace

LETTERS = string.ascii_uppercase


def _codes(width: int, n: int) -> list[str]:
    step = max(1, 26**width // n)
    every = itertools.product(LETTERS, repeat=width)
    return ["".join(p) for p in itertools.islice(every, 0, n * step, step)][:n]


def _source(new_db: Callable[[str], str], dialect: str, width: int, n: int) -> str:
    url = new_db(dialect)
    codes = _codes(width, n)
    with sa.create_engine(url, poolclass=sa.pool.NullPool).begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE country (code CHAR({width}) PRIMARY KEY, "
                             "name VARCHAR(40) NOT NULL)")
        conn.exec_driver_sql(f"CREATE TABLE city (id INTEGER PRIMARY KEY, country CHAR({width}) "
                             "NOT NULL REFERENCES country (code), pop INTEGER)")
        conn.execute(sa.text("INSERT INTO country VALUES (:c, :n)"),
                     [{"c": c, "n": f"Land {i}"} for i, c in enumerate(codes)])
        conn.execute(sa.text("INSERT INTO city VALUES (:i, :c, :p)"),
                     [{"i": i, "c": codes[i % len(codes)], "p": 1000 + i} for i in range(3 * n)])
    return url


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
@pytest.mark.parametrize(("width", "rows", "scale"), [(2, 200, 1.0), (2, 200, 2.0),
                                                      (3, 300, 2.0), (3, 300, 0.5)])
def test_pattern_keys_unique_in_format(dialect: str, width: int, rows: int, scale: float,
                                       new_db: Callable[[str], str]) -> None:
    source = _source(new_db, dialect, width, rows)
    for seed in (0, 1, 2):
        target = new_db(dialect)
        clone(source, target, seed=seed, scale=scale)
        with engine_for(target).connect() as conn:
            codes = [r[0].strip() for r in conn.exec_driver_sql("SELECT code FROM country")]
            used = {r[0].strip() for r in conn.exec_driver_sql("SELECT country FROM city")}
        assert len(codes) == round(rows * scale)
        assert len(set(codes)) == len(codes)
        bad = [c for c in codes if not re.fullmatch(f"[A-Z]{{{width}}}", c)]
        assert not bad, bad[:5]
        assert used <= set(codes)


def test_format_too_small_is_refused_before_loading(new_db: Callable[[str], str]) -> None:
    source = _source(new_db, "postgresql", 2, 600)
    target = new_db("postgresql")
    with pytest.raises(DbcloneError) as refused:
        clone(source, target, seed=0, scale=2.0)
    message = str(refused.value)
    assert "country.code" in message and "676" in message and "1200" in message
    assert introspect(engine_for(target)).tables == ()


def test_keyspace_counts_and_numbers_every_value_once() -> None:
    space = KeySpace(r"^[A-Z]{2}$")
    assert space.size == 676
    assert sorted(space.keys(0, 676, seed=5)) == sorted(a + b for a in LETTERS for b in LETTERS)
    assert space.keys(100, 10, seed=5) == space.keys(0, 110, seed=5)[100:]  # chunks agree
    assert space.keys(0, 50, seed=5) != space.keys(0, 50, seed=6)
    assert KeySpace(r"^SE-[0-9]{4}$").size == 10000
    assert KeySpace(r"^K[0-9]{1,3}$").size == 1110
