"""Rare categories: never reproduced, yet the long tail keeps its size (issue 5's privacy rule
with fidelity), counted among the people the rows are about; copies of the parent keep its
NULLs; composite keys keep every parent's number of children."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import sqlalchemy as sa

from dbclone.api import clone, fit_source
from dbclone.connect import engine_for
from dbclone.sample import _swap_repeats

K = 5


def _rows(url: str, sql: str) -> list[tuple]:
    with engine_for(url).connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql))]


def test_rare_countries_are_replaced_by_stand_ins_not_dropped(shared, new_db) -> None:
    source = shared("chinook", "sqlite")
    target = new_db("sqlite")
    clone(source, target, seed=3)
    real = Counter(r[0] for r in _rows(source, 'SELECT "Country" FROM "Customer"'))
    fake = Counter(r[0] for r in _rows(target, 'SELECT "Country" FROM "Customer"'))
    rare = {c for c, n in real.items() if n < K}
    common = set(real) - rare
    assert rare and common
    # No country held by fewer than k customers comes back, whatever the seed picked.
    assert not rare & set(fake)
    # The tail keeps its share: about as many customers live outside the common countries.
    tail_real = sum(n for c, n in real.items() if c in rare)
    tail_fake = sum(n for c, n in fake.items() if c not in common)
    assert abs(tail_fake - tail_real) <= 0.25 * tail_real
    assert len(fake) > len(common) + 5


def test_categories_counted_among_the_rows_own_people(shared) -> None:
    """Customers are 59 people, not their 3 sales reps: France (5 customers) is kept, and
    Germany (4 customers) is not, though 3 reps serve each."""
    model = fit_source(shared("chinook", "sqlite"))
    country = next(c for c in model.table("Customer").columns if c.name == "Country")
    assert {"USA", "Canada", "Brazil", "France"} <= set(country.values)
    assert "Germany" not in country.values
    assert len(country.values) >= 14  # the common four and the rare ones' stand-ins
    billing = next(c for c in model.table("Invoice").columns if c.name == "BillingState")
    assert billing.strategy == "parent" and billing.null_rate == 0.0


def test_copied_columns_keep_the_parents_nulls(shared, new_db) -> None:
    source = shared("chinook", "sqlite")
    target = new_db("sqlite")
    clone(source, target, seed=5)
    rows = _rows(target, 'SELECT i."BillingState", c."State", i."BillingCountry", c."Country" '
                         'FROM "Invoice" i JOIN "Customer" c ON c."CustomerId" = i."CustomerId"')
    assert rows
    assert all(bs == s and bc == c for bs, s, bc, c in rows)
    real_null = np.mean([r[0] is None for r in _rows(source,
                                                     'SELECT "BillingState" FROM "Invoice"')])
    fake_null = np.mean([r[0] is None for r in rows])
    assert abs(fake_null - real_null) < 0.2


def test_swapping_repeats_keeps_every_parents_children() -> None:
    rng = np.random.default_rng(0)
    groups = np.repeat(np.arange(300), rng.integers(1, 8, 300))
    parents = rng.integers(0, 40, len(groups))
    fixed = np.zeros(len(groups), dtype=bool)
    out = _swap_repeats(groups, parents, fixed, rng)
    assert sorted(out.tolist()) == sorted(parents.tolist())
    before = pd.DataFrame({"g": groups, "p": parents}).duplicated().sum()
    after = pd.DataFrame({"g": groups, "p": out}).duplicated().sum()
    assert before > 20 and after < 0.1 * before
