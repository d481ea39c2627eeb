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
from dbclone.synth.family.parents import swap_repeats

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
    out = swap_repeats(groups, parents, fixed, rng)
    assert sorted(out.tolist()) == sorted(parents.tolist())
    before = pd.DataFrame({"g": groups, "p": parents}).duplicated().sum()
    after = pd.DataFrame({"g": groups, "p": out}).duplicated().sum()
    assert before > 20 and after < 0.1 * before


def test_common_towns_are_categories_rare_towns_and_addresses_are_not(new_db) -> None:
    """A town held by k households is a category (kept with its districts), like a country;
    a town of fewer never comes back, and street addresses and postcodes stay Faker's."""
    rng = np.random.default_rng(1)
    towns = {"Norrby": ("Centrum", "Hagen"), "Ekfors": ("Bruket", "Sjösidan"),
             "Lillvik": ("Hamnen",), "Tallmo": ("Skogen", "Backen")}
    rare = ["Åby", "Östra Rud", "Kvarntorp"]
    source, target = new_db("sqlite"), new_db("sqlite")
    rows = []
    for i in range(600):
        town = str(rng.choice(list(towns), p=[0.4, 0.3, 0.1, 0.2]))
        district = str(rng.choice(towns[town]))
        rows.append((i, f"{rng.choice(['Storgatan', 'Byvägen', 'Ringvägen'])} {i + 3}",
                     f"{12000 + i}", town, district))
    for j, town in enumerate(rare):
        rows.append((600 + j, f"Lillgatan {j + 1}", f"99{j:03d}", town, "Landet"))
    with engine_for(source, must_exist=False).begin() as conn:
        conn.execute(sa.text("CREATE TABLE household (id INTEGER PRIMARY KEY, street_address "
                             "TEXT NOT NULL, postal_code TEXT NOT NULL, city TEXT NOT NULL, "
                             "district TEXT NOT NULL)"))
        conn.execute(sa.text("INSERT INTO household VALUES (:i, :a, :p, :c, :d)"),
                     [dict(zip("iapcd", r, strict=True)) for r in rows])
    model = fit_source(source)
    city = next(c for c in model.table("household").columns if c.name == "city")
    names = {v[0] if isinstance(v, list | tuple) else v for v in city.values}  # or with district
    assert city.strategy == "categorical" and set(towns) <= names
    assert not set(rare) & names
    kinds = {c.name: c.pii for c in model.table("household").columns}
    assert kinds["street_address"] == "street_address" and kinds["postal_code"] == "postcode"
    clone(source, target, seed=2)
    fake = _rows(target, "SELECT street_address, postal_code, city, district FROM household")
    assert not {r[2] for r in fake} & set(rare)
    assert {r[2] for r in fake} >= set(towns)
    assert not {r[0] for r in fake} & {r[1] for r in rows}
    # The district keeps its town: nearly every row's pair is a real one.
    pairs = {(t, d) for t, ds in towns.items() for d in ds}
    kept = np.mean([(r[2], r[3]) in pairs for r in fake if r[2] in towns])
    assert kept > 0.9


def test_categories_of_few_owners_stay_categories_of_stand_ins(tmp_path) -> None:
    """Five case categories of 60 rows each, every one kept to by 3 of 15 workers (the
    driving parent): no value has k owners, so none may appear in the clone, alone or through
    a joint category with its strongly associated channel; yet the column stays a category
    of five stand-ins in the source's shares (before: free text, a new value in most rows;
    through the joint category: the real names)."""
    src = f"sqlite:///{tmp_path / 'src.db'}"
    categories = ["home care", "child welfare", "income support", "addiction", "housing"]
    with sa.create_engine(src).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE worker (id INTEGER PRIMARY KEY, code TEXT NOT NULL)")
        conn.exec_driver_sql("CREATE TABLE cases (id INTEGER PRIMARY KEY, worker_id INTEGER "
                             "NOT NULL REFERENCES worker(id), category TEXT NOT NULL, "
                             "channel TEXT NOT NULL)")
        conn.exec_driver_sql("INSERT INTO worker VALUES " +
                             ", ".join(f"({w}, 'W{w:02d}')" for w in range(15)))
        rows = []
        for w in range(15):
            for i in range(20):
                cat = w % 5
                channel = ["phone", "letter", "visit"][(cat + (i % 7 == 0)) % 3]
                rows.append(f"({w * 20 + i}, {w}, '{categories[cat]}', '{channel}')")
        conn.exec_driver_sql("INSERT INTO cases VALUES " + ", ".join(rows))
    dst = f"sqlite:///{tmp_path / 'dst.db'}"
    clone(src, dst, seed=2)
    made = Counter(v for (v,) in _rows(dst, "SELECT category FROM cases"))
    assert not set(made) & set(categories)
    assert 2 <= len(made) <= 5
    assert max(made.values()) <= 0.4 * sum(made.values())
