"""Tables generated in chunks: what must hold across a table's chunks still holds."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import sqlalchemy as sa

from dbclone.api import clone, fit_source
from dbclone.connect import engine_for
from dbclone.plan import make_plan
from dbclone.synth import sample
from dbclone.synth.family.counts import Driven
from dbclone.synth.family.parents import Deal
from dbclone.synth.sample import Sampler
from dbclone.synth.tables import TableData, join_chunks
from dbclone.synth.unique import enforce_unique
from tests.helpers import duplicates, kommun_cycle_filled, orphans, table_digest


def _tables(source: str, scale: float, seed: int = 1) -> dict[str, list[TableData]]:
    model = fit_source(source, seed=seed)
    out: dict[str, list[TableData]] = {}
    for item in Sampler(model, make_plan(model.schema), scale=scale, seed=seed).run():
        if isinstance(item, TableData):
            out.setdefault(item.table.name, []).append(item)
    return out


def _driven(counts: list[int], nulls: int) -> tuple[Driven, np.ndarray]:
    """A `_Driven` and the per-row parent index it stands for (np.repeat, then -1s)."""
    driven = Driven(np.cumsum(np.asarray(counts, dtype=np.int64)), nulls)
    parents = np.concatenate([np.repeat(np.arange(len(counts)), counts),
                              np.full(nulls, -1)]).astype(np.int64)
    return driven, parents


def test_bounds_keep_each_parents_children_together() -> None:
    rng = np.random.default_rng(3)
    cases = [(list(np.arange(40) % 7), 25),  # 0 to 6 children each, then rows without one
             (list(rng.integers(0, 4, 300)), 0),
             ([0, 0, 35, 0, 2, 1], 3),  # one parent with more children than a chunk
             ([3, 3], 40), ([], 12), ([0, 0], 0)]
    for counts, nulls in cases:
        driven, parents = _driven(counts, nulls)
        assert driven.n == len(parents)
        assert np.array_equal(driven.idx(0, driven.n), parents)
        bounds = driven.bounds(10)
        assert bounds[0][0] == 0 and bounds[-1][1] == len(parents)
        assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:], strict=False))
        for lo, hi in bounds:
            assert np.array_equal(driven.idx(lo, hi), parents[lo:hi])
            assert hi - lo <= 10 or len(set(parents[lo:hi].tolist())) == 1
            if lo > 0 and parents[lo] >= 0:
                assert parents[lo - 1] != parents[lo]  # never cuts inside a parent's group
        if len(parents) > 20:  # cuts as late as the groups allow: chunks are not tiny
            assert len(bounds) <= 2 * len(parents) // 10 + 2


def test_spill_reads_back_what_was_appended() -> None:
    """Chunks of keys (a numbering: stored as nothing), other ints, dates with NULLs, text
    and latent scores come back by row range and by positions, the same as in memory."""
    import datetime as dt

    from dbclone.synth.spill import Spill

    rng = np.random.default_rng(0)
    store, whole = Spill(), {}
    start = 1
    for size in (7, 5, 0, 9):
        keys = np.arange(start, start + size).astype(object)
        start += size
        other = rng.integers(-5, 5, size).astype(object)
        days = np.asarray([None if i % 3 == 0 else dt.date(2020, 1, 1) + dt.timedelta(int(i))
                           for i in range(size)], dtype=object)
        text = np.asarray([f"v{i}" for i in range(size)], dtype=object)
        chunk = {"k": keys, "o": other, "d": days, "t": text, "z": rng.normal(size=(size, 3))}
        store.append(chunk)
        for c, v in chunk.items():
            whole[c] = v if c not in whole else np.concatenate([whole[c], v])
    assert store.n == 21 and store.on_disk  # several chunks: on disk
    assert store.parts[0]["k"].kind == "range" and store.parts[1]["d"].kind == "dates"
    for c, v in whole.items():
        assert np.array_equal(store.column(c), v), c
        assert np.array_equal(store.rows(c, 3, 15), v[3:15]), c
        idx = rng.integers(0, 21, 30)
        assert np.array_equal(store.take(c, idx), v[idx]), c
    assert type(store.column("k")[0]) is int and type(store.column("o")[0]) is int
    store.close()


def test_unique_checked_against_earlier_chunks() -> None:
    """A UNIQUE column generated in chunks: values repeating an earlier chunk's are changed,
    the chunk's own repeats too, and NULLs are left alone."""
    from dbclone.schema import Column, Table, UniqueConstraint

    table = Table("t", (Column("id", "integer", "INT"), Column("code", "integer", "INT")),
                  primary_key=("id",), uniques=(UniqueConstraint("u", ("code",)),))
    rng = np.random.default_rng(1)
    seen: dict[tuple[str, ...], list[np.ndarray]] = {}
    chunks = [np.asarray([1, 2, 3, 4], dtype=object),
              np.asarray([3, 5, 1, None, None], dtype=object),
              np.asarray([5, 2, 2, 6], dtype=object)]
    out: list[object] = []
    start = 1
    for codes in chunks:
        ids = np.arange(start, start + len(codes)).astype(object)
        start += len(codes)
        data = enforce_unique(table, {"id": ids, "code": codes}, rng, seen=seen)
        out += data["code"].tolist()
    known = [v for v in out if v is not None]
    assert len(known) == len(set(known)) == 11
    assert out.count(None) == 2
    assert len(seen[("code",)]) == 3  # one sorted array of hashes per chunk


def test_generated_parent_state_is_not_held_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """A parent table of several chunks leaves its children's state on disk (a Spill with
    its file), keys as a numbering (no bytes); the children still get every parent."""
    from dbclone.schema import Column, ForeignKey, Schema, Table
    from dbclone.synth.model import ColumnModel, FKModel, Model, TableModel

    monkeypatch.setattr(sample, "CHUNK_ROWS", 100)
    parent = Table("p", (Column("id", "integer", "INT", nullable=False),), primary_key=("id",))
    child = Table("c", (Column("id", "integer", "INT", nullable=False),
                        Column("p_id", "integer", "INT", nullable=False)), primary_key=("id",),
                  foreign_keys=(ForeignKey(None, ("p_id",), "p", ("id",)),))
    schema = Schema("sqlite", (parent, child))
    fk = FKModel(("p_id",), "p", ("id",), 0.0, counts=(1, 2), probs=(0.5, 0.5), driving=True)
    model = Model(schema, (
        TableModel("p", 300, (ColumnModel("id", "key"),)),
        TableModel("c", 450, (ColumnModel("id", "key"), ColumnModel("p_id", "fk")), (fk,))))
    sampler = Sampler(model, make_plan(schema), seed=2)
    rows = {"p": 0, "c": 0}
    children: set[int] = set()
    for item in sampler.run():
        if isinstance(item, TableData):
            rows[item.table.name] += item.n_rows
            if item.table.name == "c":
                children |= set(item.data["p_id"].tolist())
    kept = sampler.done["p"].kept
    assert rows == {"p": 300, "c": 450}
    assert kept.on_disk and len(kept.parts) == 3
    assert all(part["id"].kind == "range" for part in kept.parts)
    assert children <= set(range(1, 301)) and len(children) > 200


def test_chunked_employees_unique_and_complete(shared: Callable[[str, str], str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Employees in chunks of 500 rows: every table arrives in several chunks, keys continue
    across them, composite keys stay unique, and the rows add up to the unchunked count."""
    source = shared("employees", "sqlite")
    whole = _tables(source, 2.0)
    monkeypatch.setattr(sample, "CHUNK_ROWS", 500)
    parts = _tables(source, 2.0)
    assert len(parts["salary"]) > 10 and len(parts["employee"]) > 2
    for name, chunks in parts.items():
        assert [c.last for c in chunks] == [False] * (len(chunks) - 1) + [True]
        rows = sum(c.n_rows for c in chunks)
        want = sum(c.n_rows for c in whole[name])
        assert abs(rows - want) <= max(2, 0.02 * want), name
        joined = join_chunks(chunks)
        for cols in joined.table.unique_sets():
            keys = list(zip(*(joined.data[c].tolist() for c in cols), strict=True))
            assert len(set(keys)) == len(keys), (name, cols)
    emp = join_chunks(parts["employee"]).data["emp_no"].tolist()
    assert sorted(emp) == list(range(1, len(emp) + 1))
    # Each employee's salaries are in one chunk: salary history per employee intact.
    owner: dict[int, int] = {}
    for i, chunk in enumerate(parts["salary"]):
        for e in set(chunk.data["emp_no"].tolist()):
            assert owner.setdefault(e, i) == i


def test_chunked_clone_chinook(shared: Callable[[str, str], str],
                               new_db: Callable[[str], str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Chinook in chunks of 300 rows (invoice lines, invoices, tracks in several chunks):
    no orphans or duplicates, invoice totals are the sum of their lines over all chunks, the
    same seed gives the same database."""
    monkeypatch.setattr(sample, "CHUNK_ROWS", 300)
    source = shared("chinook", "sqlite")
    a, b = new_db("sqlite"), new_db("sqlite")
    clone(source, a, seed=4, scale=1.5)
    clone(source, b, seed=4, scale=1.5)
    assert not {k: v for k, v in orphans(a).items() if v}
    assert not {k: v for k, v in duplicates(a).items() if v}
    assert table_digest(a) == table_digest(b)
    with engine_for(a).connect() as conn:
        lines = conn.execute(sa.text("SELECT COUNT(*) FROM InvoiceLine")).scalar_one()
        wrong = conn.execute(sa.text(
            "SELECT COUNT(*) FROM Invoice i JOIN (SELECT InvoiceId, SUM(UnitPrice * Quantity) s "
            "FROM InvoiceLine GROUP BY InvoiceId) l ON l.InvoiceId = i.InvoiceId "
            "WHERE ABS(i.Total - l.s) > 0.011")).scalar_one()
    assert lines > 3000
    assert wrong == 0


def test_chunked_kommun(new_db: Callable[[str], str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The kommun sample in chunks of 25 rows: its cycle through a nullable FK (filled by a
    later UPDATE), its self-references, CHECKs and a table without a primary key."""
    from tests.helpers import build_kommun, check_clone

    monkeypatch.setattr(sample, "CHUNK_ROWS", 25)  # caseworker (60 rows) too
    source = new_db("sqlite")
    build_kommun(source)
    target = new_db("sqlite")
    result = clone(source, target, seed=5)
    check_clone(source, target, 1.0, result.verbatim)
    assert kommun_cycle_filled(target)


def test_chunked_not_null_cycle(new_db: Callable[[str], str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A cycle of NOT NULL DEFERRABLE FKs whose tables come in chunks of 20 rows: the chunks
    wait for the other table, then every FK points at a row (the tricky schema's checks)."""
    from tests.helpers import tricky_postgresql_full_clone

    monkeypatch.setattr(sample, "CHUNK_ROWS", 20)
    tricky_postgresql_full_clone(new_db)


def test_deal_gives_each_parent_its_children_over_the_chunks() -> None:
    """A non-driving FK's parents dealt chunk by chunk: every parent ends with its sampled
    number of children, as one shuffled pool of the whole table gave, whatever order the
    chunks are made in; rows beyond the stock go to parents by weight (never to a parent of
    weight 0)."""
    rng = np.random.default_rng(5)
    weights = rng.integers(0, 6, 200)
    weights[:10] = 0
    total = int(weights.sum())
    sizes = (100, 0, 250, total - 350, 500)
    starts = tuple(int(x) for x in np.cumsum((0, *sizes)))
    deal = Deal.of(weights.astype(np.int32), starts)

    def stream(a: int, b: int) -> np.random.Generator:
        return np.random.default_rng([9, a, b])

    shares = [deal.share(i, stream) for i in range(len(sizes))]
    assert [int(s.sum()) for s in shares] == [100, 0, 250, total - 350, 0]
    assert all(np.array_equal(deal.share(i, stream), shares[i]) for i in (3, 0, 2))
    parts = [deal.deal(i, size, rng, stream) for i, size in reversed(list(enumerate(sizes)))]
    got = np.bincount(np.concatenate(parts[1:]), minlength=200)
    assert np.array_equal(got, weights)
    extra = parts[0]
    assert len(extra) == 500 and not np.isin(extra, np.arange(10)).any()
    assert np.array_equal(Deal.of(np.zeros(0), (0, 3)).deal(0, 3, rng, stream), [-1, -1, -1])
