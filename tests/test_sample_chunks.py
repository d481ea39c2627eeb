"""Tables generated in chunks: what must hold across a table's chunks still holds."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa

from dbclone import sample
from dbclone.api import clone, fit_source
from dbclone.connect import engine_for
from dbclone.plan import make_plan
from dbclone.sample import Sampler, TableData
from tests.helpers import duplicates, kommun_cycle_filled, orphans, table_digest


def _tables(source: str, scale: float, seed: int = 1) -> dict[str, list[TableData]]:
    model = fit_source(source, seed=seed)
    out: dict[str, list[TableData]] = {}
    for item in Sampler(model, make_plan(model.schema), scale=scale, seed=seed).run():
        if isinstance(item, TableData):
            out.setdefault(item.table.name, []).append(item)
    return out


def test_bounds_keep_each_parents_children_together() -> None:
    import numpy as np

    parents = np.repeat(np.arange(40), np.arange(40) % 7)  # 0 to 6 children each
    parents = np.concatenate([parents, np.full(25, -1)])  # rows without a parent
    bounds = sample._bounds(parents, len(parents), 10)
    assert bounds[0][0] == 0 and bounds[-1][1] == len(parents)
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:], strict=False))
    assert len(bounds) > 10
    for lo, hi in bounds:
        assert hi - lo <= 10 or len(set(parents[lo:hi])) == 1
        if lo > 0 and parents[lo] >= 0:
            assert parents[lo - 1] != parents[lo]  # never cuts inside a parent's group


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
        joined = sample._join(chunks)
        for cols in joined.table.unique_sets():
            keys = list(zip(*(joined.data[c].tolist() for c in cols), strict=True))
            assert len(set(keys)) == len(keys), (name, cols)
    emp = sample._join(parts["employee"]).data["emp_no"].tolist()
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
    from tests.test_clone import _build_kommun, _check_clone

    monkeypatch.setattr(sample, "CHUNK_ROWS", 25)  # caseworker (60 rows) too
    source = new_db("sqlite")
    _build_kommun(source)
    target = new_db("sqlite")
    result = clone(source, target, seed=5)
    _check_clone(source, target, 1.0, result.verbatim)
    assert kommun_cycle_filled(target)


def test_chunked_not_null_cycle(new_db: Callable[[str], str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A cycle of NOT NULL DEFERRABLE FKs whose tables come in chunks of 20 rows: the chunks
    wait for the other table, then every FK points at a row (the tricky schema's checks)."""
    from tests.test_schema_tricky import test_tricky_postgresql_full_clone

    monkeypatch.setattr(sample, "CHUNK_ROWS", 20)
    test_tricky_postgresql_full_clone(new_db)
