"""The bounded source reader (`dbclone.source`) on real databases: exact aggregates equal
the ones computed from every row, and the sample is bounded, repeatable and keeps families
whole with their parents present."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from dbclone.connect import engine_for
from dbclone.introspect import introspect
from dbclone.plan import make_plan
from dbclone.source import HASH_SPACE, SourceReader, key_codes

DDL = [
    "CREATE TABLE customer (id INTEGER PRIMARY KEY, region VARCHAR(10) NOT NULL, "
    "credit NUMERIC(10,2))",
    "CREATE TABLE product (id INTEGER PRIMARY KEY, price NUMERIC(10,2) NOT NULL)",
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customer(id), "
    "placed DATE NOT NULL)",
    "CREATE TABLE line (order_id INTEGER NOT NULL REFERENCES orders(id), "
    "line_no INTEGER NOT NULL, product_id INTEGER NOT NULL REFERENCES product(id), "
    "qty INTEGER, PRIMARY KEY (order_id, line_no))",
]


def _fill(url: str) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(7)
    customers = pd.DataFrame({"id": range(1, 301),
                              "region": rng.choice(["north", "south", "east"], 300),
                              "credit": np.where(rng.random(300) < 0.1, None,
                                                 np.round(rng.gamma(2, 500, 300), 2))})
    # more products than orders: an order line's family is its order (the fewer parents)
    products = pd.DataFrame({"id": range(1, 3001),
                             "price": np.round(rng.gamma(2, 20, 3000), 2)})
    n_orders = 1500
    cust = rng.integers(1, 301, n_orders).astype(object)
    cust[rng.random(n_orders) < 0.05] = None  # guest orders: no customer
    orders = pd.DataFrame({"id": range(1, n_orders + 1), "customer_id": cust,
                           "placed": pd.Timestamp("2024-01-01").date()})
    per = rng.integers(0, 8, n_orders)
    lines = pd.DataFrame({"order_id": np.repeat(orders["id"], per).to_numpy(),
                          "line_no": np.concatenate([np.arange(1, k + 1) for k in per]),
                          "product_id": rng.integers(1, 3001, int(per.sum())),
                          "qty": rng.integers(1, 10, int(per.sum()))})
    engine = engine_for(url, must_exist=False)
    frames = {"customer": customers, "product": products, "orders": orders, "line": lines}
    with engine.begin() as conn:
        for sql in DDL:
            conn.exec_driver_sql(sql)
        for name, df in frames.items():
            cols = list(df.columns)
            conn.execute(sa.text(f"INSERT INTO {name} ({', '.join(cols)}) VALUES "
                                 f"({', '.join(':' + c for c in cols)})"),
                         [{k: (None if v is None else v.item() if hasattr(v, "item") else v)
                           for k, v in row.items()} for row in df.to_dict("records")])
    return frames


def _read(url: str, budget: int):  # type: ignore[no-untyped-def]
    engine = engine_for(url)
    schema = introspect(engine)
    reader = SourceReader(engine, schema, make_plan(schema), budget)
    with engine.connect() as conn:
        reader.dialect.begin_read_only(conn)
        return reader, reader.read(conn), engine


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_sample_is_bounded_repeatable_and_keeps_families(
        new_db: Callable[[str], str], dialect: str) -> None:
    url = new_db(dialect)
    full = _fill(url)
    reader, frames, _ = _read(url, 400)
    _, again, _ = _read(url, 400)
    assert reader.samplings["customer"].whole and len(frames["customer"]) == 300
    for name in ("orders", "line", "product"):
        assert not reader.samplings[name].whole
        assert 0 < len(frames[name]) < 2.5 * 400, (name, len(frames[name]))
        pd.testing.assert_frame_equal(frames[name], again[name])
    # every sampled line's order is in the order sample, and each sampled family is whole
    lines, orders = frames["line"], frames["orders"]
    assert set(lines["order_id"]) <= set(orders["id"])
    family = reader.samplings["line"].fk
    assert family is not None and family.columns == ("order_id",)
    true_sizes = full["line"].groupby("order_id").size()
    got_sizes = lines.groupby("order_id").size()
    assert (got_sizes == true_sizes[got_sizes.index]).all()
    # guest orders (NULL customer) are sampled too, not dropped by the family condition
    assert orders["customer_id"].isna().any()


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_a_small_child_of_a_sampled_parent_keeps_its_families(
        new_db: Callable[[str], str], dialect: str) -> None:
    """A child within the budget whose parent is sampled is read whole but for the rows of
    parents left out, in its own key's order (the query had an empty ORDER BY: TPC-H's
    orders under a sampled customer)."""
    url = new_db(dialect)
    engine = engine_for(url, must_exist=False)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE owner (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)")
        conn.exec_driver_sql("CREATE TABLE pet (id INTEGER PRIMARY KEY, owner_id INTEGER "
                             "NOT NULL REFERENCES owner(id), w INTEGER NOT NULL)")
        conn.execute(sa.text("INSERT INTO owner (id, v) VALUES (:i, :v)"),
                     [{"i": i, "v": i % 7} for i in range(1, 401)])
        conn.execute(sa.text("INSERT INTO pet (id, owner_id, w) VALUES (:i, :o, :w)"),
                     [{"i": i, "o": 1 + (i * 37) % 400, "w": i % 5} for i in range(300, 0, -1)])
    reader, frames, _ = _read(url, 350)
    owner, pet = reader.samplings["owner"], reader.samplings["pet"]
    assert not owner.whole and pet.threshold == HASH_SPACE and pet.parent == "owner"
    assert 250 < len(frames["owner"]) < 400
    kept = set(frames["owner"]["id"])
    expected = sorted(i for i in range(1, 301) if 1 + (i * 37) % 400 in kept)
    assert frames["pet"]["id"].tolist() == expected


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_exact_aggregates_match_every_row(new_db: Callable[[str], str], dialect: str) -> None:
    url = new_db(dialect)
    full = _fill(url)
    reader, frames, engine = _read(url, 400)
    schema = reader.schema
    line, orders = schema.table("line"), schema.table("orders")
    with engine.connect() as conn:
        reader.dialect.begin_read_only(conn)
        fk = next(f for f in line.foreign_keys if f.ref_table == "orders")
        dist, per_parent = reader.fk_counts(conn, line, fk, frames["orders"])
        stats = {s.name: s for s in reader.column_stats(conn, schema.table("customer"))}
        ostats = {s.name: s for s in reader.column_stats(conn, orders)}
    sizes = full["line"].groupby("order_id").size().reindex(full["orders"]["id"], fill_value=0)
    expected = sizes.value_counts().sort_index()
    assert dist.values == tuple(int(v) for v in expected.index)
    assert dist.parents == tuple(int(v) for v in expected.to_numpy())
    assert per_parent.tolist() == sizes.reindex(frames["orders"]["id"]).astype(float).tolist()
    assert stats["credit"].nulls == int(full["customer"]["credit"].isna().sum())
    assert float(stats["credit"].max) == pytest.approx(float(full["customer"]["credit"].max()))
    assert ostats["customer_id"].nulls == int(full["orders"]["customer_id"].isna().sum())


def test_key_codes_match_equal_keys_across_types() -> None:
    df = pd.DataFrame({"a": [7.0, 7.0, np.nan, 8.0], "b": ["x", "x", "x", "y"]})
    other = pd.DataFrame({"a": [7, 8], "b": ["x", "y"]})
    codes = key_codes(pd.concat([df, other], ignore_index=True), ["a", "b"])
    assert codes[0] == codes[1] == codes[4] and codes[3] == codes[5]
    assert codes[2] == -1 and codes[0] != codes[3]


def test_sampled_fit_keeps_exact_counts(new_db: Callable[[str], str]) -> None:
    """A fit that samples (1000 rows per table here) still has every table's row count and
    every FK's children-per-parent distribution exact: the database counts them."""
    from dbclone.api import fit_source, sampling_url

    url = new_db("postgresql")
    _fill(url)
    _, sampling = sampling_url(url, sample_rows=1000)
    assert not sampling["line"].whole and not sampling["product"].whole
    sampled, whole = fit_source(url, sample_rows=1000), fit_source(url, sample_rows=10 ** 9)
    assert 0 < sampled.table("line").sample_rows < sampled.table("line").row_count
    assert sampled.table("customer").sample_rows == 0  # read whole: 300 rows
    for name in ("line", "orders", "customer", "product"):
        a, b = sampled.table(name), whole.table(name)
        assert a.row_count == b.row_count and b.sample_rows == 0
        for fa, fb in zip(a.fks, b.fks, strict=True):
            assert (fa.counts, fa.probs) == (fb.counts, fb.probs), (name, fa.columns)


def test_sampled_fit_takes_nulls_and_range_from_the_database(
        new_db: Callable[[str], str]) -> None:
    """A sampled table's NULL rate and least/greatest value are the whole table's (SQL
    aggregates), not its sample's, and the model names the columns that took them."""
    from dbclone.api import fit_source

    url = new_db("postgresql")
    full = _fill(url)
    with engine_for(url).begin() as conn:  # NULLs in a sampled table's number
        conn.exec_driver_sql("ALTER TABLE product ALTER COLUMN price DROP NOT NULL")
        conn.exec_driver_sql("UPDATE product SET price = NULL WHERE mod(id, 7) = 0")
    sampled, whole = fit_source(url, sample_rows=1000), fit_source(url, sample_rows=10 ** 9)
    a, b = sampled.table("product"), whole.table("product")
    assert 0 < a.sample_rows < a.row_count and b.sample_rows == 0
    price_a, price_b = a.column("price"), b.column("price")
    assert price_a.null_rate == price_b.null_rate == (3000 // 7) / 3000
    prices = full["product"]["price"][full["product"]["id"] % 7 != 0]
    assert (price_a.quantiles[0], price_a.quantiles[-1]) == \
        (price_b.quantiles[0], price_b.quantiles[-1]) == (prices.min(), prices.max())
    assert "price" in a.exact and b.exact == ()
