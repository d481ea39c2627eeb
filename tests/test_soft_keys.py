"""Soft keys: integer ids of rows elsewhere without a declared FK (`synth.columns.softkey`), on
small SQLite sources built for each rule."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import sqlalchemy as sa

from dbclone.api import clone, fit_source
from dbclone.config import parse_config
from dbclone.connect import engine_for
from dbclone.errors import UsageError
from dbclone.report import build_report
from dbclone.synth.columns.softkey import id_named, stem
from tests.helpers import sqlite_clone


def _sales(url: str, rows: int = 1500) -> list[tuple[int, int, float, int]]:
    """A sale line per row: a track id of a catalogue that is not in the database (most
    tracks sold once, some a few times), a price that goes with the track, quantity 1."""
    rng = np.random.default_rng(3)
    tracks = rng.choice(np.arange(1, 3001), size=1100, replace=False)
    reuse = rng.choice([1, 1, 1, 2, 2, 3], size=len(tracks))
    ids = np.repeat(tracks, reuse)[:rows]
    rng.shuffle(ids)
    data = [(i + 1, int(t), 1.99 if t > 2700 else 0.99, 1) for i, t in enumerate(ids)]
    with sa.create_engine(url).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE sale_line (id INTEGER PRIMARY KEY, track_id INTEGER "
                             "NOT NULL, unit_price NUMERIC(10, 2) NOT NULL, quantity INTEGER "
                             "NOT NULL)")
        conn.exec_driver_sql("INSERT INTO sale_line VALUES (?, ?, ?, ?)", data)
    return data


def test_soft_key_outside_the_database_gets_fresh_ids_with_the_source_reuse(new_db) -> None:
    """A track id whose table is not in the database: no clone row names a real track (so no
    real (track, price, quantity) line comes back), while the share of tracks sold once,
    twice, three times stays the source's."""
    source = new_db("sqlite")
    real = _sales(source)
    model = fit_source(source)
    cm = model.table("sale_line").column("track_id")
    assert cm.strategy == "softkey" and cm.ref is None and "fresh ids" in cm.reason
    with sqlite_clone(new_db, source, 2).connect() as conn:
        got = conn.execute(sa.text("SELECT track_id, unit_price, quantity FROM sale_line")).all()
    assert len(got) == len(real)
    real_ids = {t for _, t, _, _ in real}
    assert not {t for t, _, _ in got} & real_ids
    real_rows = {(t, p, q) for _, t, p, q in real}
    assert not [r for r in got if (r[0], float(r[1]), r[2]) in real_rows]

    def reuse_shares(ids: list[int]) -> dict[int, float]:
        per_id = Counter(Counter(ids).values())
        total = sum(per_id.values())
        return {k: per_id.get(k, 0) / total for k in (1, 2, 3)}

    want = reuse_shares([t for _, t, _, _ in real])
    have = reuse_shares([t for t, _, _ in got])
    assert all(abs(want[k] - have[k]) < 0.08 for k in want), (want, have)
    # ids rise with the latent rank they share with the price: dear tracks have high ids
    dear = [t for t, p, _ in got if float(p) > 1]
    cheap = [t for t, p, _ in got if float(p) < 1]
    assert dear and np.mean(dear) > np.mean(cheap)


def test_fresh_ids_continue_across_chunks(new_db, monkeypatch: pytest.MonkeyPatch) -> None:
    """A table generated in chunks hands out fresh ids that continue from chunk to chunk:
    no id of one chunk comes back in another, so the reuse distribution is the source's
    whatever the chunk size."""
    from dbclone.synth import sample

    source = new_db("sqlite")
    real = _sales(source)
    monkeypatch.setattr(sample, "CHUNK_ROWS", 200)
    with sqlite_clone(new_db, source, 4).connect() as conn:
        got = [t for (t,) in conn.exec_driver_sql("SELECT track_id FROM sale_line ORDER BY id")]
    assert len(got) == len(real) and not set(got) & {t for _, t, _, _ in real}
    chunks = [set(got[i:i + 200]) for i in range(0, len(got), 200)]
    assert all(not a & b for i, a in enumerate(chunks) for b in chunks[i + 1:])
    per_id = Counter(Counter(got).values())
    want = Counter(Counter(t for _, t, _, _ in real).values())
    assert abs(per_id[1] / sum(per_id.values()) - want[1] / sum(want.values())) < 0.08


def test_soft_key_into_a_table_of_the_database_takes_its_clone_keys(new_db) -> None:
    """An audit row's caseworker id without an FK: drawn from the clone's caseworkers (every
    id exists there), each caseworker about as busy as a real one."""
    rng = np.random.default_rng(4)
    source = new_db("sqlite")
    weights = rng.gamma(2.0, 1.0, 40)
    who = rng.choice(np.arange(1, 41), size=2000, p=weights / weights.sum())
    with sa.create_engine(source).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE caseworker (id INTEGER PRIMARY KEY, grade INTEGER)")
        conn.exec_driver_sql("INSERT INTO caseworker VALUES (?, ?)",
                             [(i, int(rng.integers(1, 4))) for i in range(1, 41)])
        conn.exec_driver_sql("CREATE TABLE audit_log (logged_at INTEGER NOT NULL, "
                             "caseworker_id INTEGER, action TEXT NOT NULL)")
        conn.exec_driver_sql("INSERT INTO audit_log VALUES (?, ?, ?)",
                             [(i, int(w), ("view", "edit")[i % 2]) for i, w in enumerate(who)])
    cm = fit_source(source).table("audit_log").column("caseworker_id")
    assert cm.strategy == "softkey" and cm.ref == "caseworker.id"
    with sqlite_clone(new_db, source, 1).connect() as conn:
        keys = {k for (k,) in conn.exec_driver_sql("SELECT id FROM caseworker")}
        ids = [k for (k,) in conn.exec_driver_sql("SELECT caseworker_id FROM audit_log")]
    assert len(ids) == 2000 and set(ids) <= keys
    assert len(set(ids)) >= 0.9 * len(set(who.tolist()))
    busiest_real = max(Counter(who.tolist()).values())
    busiest = max(Counter(ids).values())
    assert 0.5 * busiest_real <= busiest <= 2 * busiest_real


def test_parent_id_without_fk_points_into_its_own_table(new_db) -> None:
    """A tree kept without an FK (``category.parent_id``): the ids are the clone's own keys,
    not fresh ids pointing nowhere."""
    rng = np.random.default_rng(6)
    source = new_db("sqlite")
    rows = [(i, None if i <= 30 else int(rng.integers(1, i))) for i in range(1, 801)]
    with sa.create_engine(source).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE category (id INTEGER PRIMARY KEY, parent_id INTEGER)")
        conn.exec_driver_sql("INSERT INTO category VALUES (?, ?)", rows)
    cm = fit_source(source).table("category").column("parent_id")
    assert cm.strategy == "softkey" and cm.ref == "category.id"
    with sqlite_clone(new_db, source, 1).connect() as conn:
        keys = {k for (k,) in conn.exec_driver_sql("SELECT id FROM category")}
        parents = [p for (p,) in conn.exec_driver_sql("SELECT parent_id FROM category")]
    assert {p for p in parents if p is not None} <= keys
    assert 10 <= sum(p is None for p in parents) <= 60


def test_what_is_not_a_soft_key(new_db) -> None:
    """The name alone or the values alone decide nothing: a status code list named *_id,
    a busy measurement, and a declared FK keep their strategies."""
    rng = np.random.default_rng(5)
    source = new_db("sqlite")
    with sa.create_engine(source).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE shop (id INTEGER PRIMARY KEY)")
        conn.exec_driver_sql("INSERT INTO shop VALUES (?)", [(i,) for i in range(1, 11)])
        conn.exec_driver_sql("CREATE TABLE visit (id INTEGER PRIMARY KEY, status_id INTEGER, "
                             "duration INTEGER, shop_id INTEGER REFERENCES shop (id))")
        conn.exec_driver_sql("INSERT INTO visit VALUES (?, ?, ?, ?)",
                             [(i, int(rng.integers(1, 6)), int(rng.integers(1, 5000)),
                               int(rng.integers(1, 11))) for i in range(1, 1001)])
    tm = fit_source(source).table("visit")
    assert tm.column("status_id").strategy == "categorical"
    assert tm.column("duration").strategy == "numeric"
    assert tm.column("shop_id").strategy == "fk"


def test_config_decides_soft_keys_either_way(new_db) -> None:
    """`"number"` keeps an id-named column a number; `"id"` makes any integer column a soft
    key; `"id"` on a text column is a usage error naming it."""
    source = new_db("sqlite")
    _sales(source)
    with sa.create_engine(source).begin() as conn:
        conn.exec_driver_sql("ALTER TABLE sale_line ADD COLUMN batch INTEGER")
        conn.exec_driver_sql("ALTER TABLE sale_line ADD COLUMN note TEXT")
        conn.exec_driver_sql("UPDATE sale_line SET batch = id % 700")
    config = parse_config({"tables": {"sale_line": {"columns": {
        "track_id": "number", "batch": "id"}}}})
    tm = fit_source(source, config=config).table("sale_line")
    assert tm.column("track_id").strategy == "numeric"
    assert tm.column("batch").strategy == "softkey"
    assert "config" in tm.column("batch").reason
    bad = parse_config({"tables": {"sale_line": {"columns": {"note": "id"}}}})
    with pytest.raises(UsageError, match="sale_line.note"):
        fit_source(source, config=bad)


def test_report_compares_soft_keys_by_reuse(new_db) -> None:
    """The report compares a soft key by how many rows share each id, not by its values
    (fresh ids would fail a value comparison by design), and still counts copies on it."""
    source = new_db("sqlite")
    _sales(source)
    target = new_db("sqlite")
    clone(source, target, seed=2)
    report = build_report(engine_for(source), engine_for(target))
    table = next(t for t in report.tables if t.name == "sale_line")
    shape = next(c for c in table.columns if c.column == "track_id")
    assert shape.metric == "KS(reuse)" and shape.score > 0.9
    assert table.privacy.copies is not None and table.privacy.copies < 0.01
    assert table.detection is not None and table.detection.accuracy < 0.7


@pytest.mark.parametrize(("name", "named", "entity"), [
    ("track_id", True, "track"), ("TrackId", True, "track"), ("userID", True, "user"),
    ("order-ref", True, "order"), ("parent_key", True, "parent"), ("id", True, ""),
    ("valid", False, "valid"), ("paid", False, "paid"), ("keys", False, "keys"),
    ("quantity", False, "quantity"), ("key", False, ""),
])
def test_id_names(name: str, named: bool, entity: str) -> None:
    assert id_named(name) is named
    assert stem(name) == entity


def test_uuid_soft_key_sampled_before_its_table_joins_it(new_db,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A UUID soft key whose table comes later in the plan (``agent_statuses`` sorts before
    ``agents`` and no FK orders them): every value joins a clone agent, as a soft key into a
    table made earlier does, and the rows are the same at one and two workers."""

    from dbclone.api import sample_model
    from dbclone.plan import make_plan
    from dbclone.synth import sample
    from tests.helpers import table_digest, uuid_owned_source

    source = new_db("postgresql")
    agents = uuid_owned_source(source, 12, (40, 900), (
        "CREATE TABLE agents (agent_uuid UUID PRIMARY KEY, name TEXT)",
        "CREATE TABLE agent_statuses (id INTEGER PRIMARY KEY, agent_uuid UUID NOT NULL, "
        "state TEXT NOT NULL)"))
    model = fit_source(source)
    assert model.table("agent_statuses").column("agent_uuid").ref == "agents.agent_uuid"
    order = make_plan(model.schema).order
    assert order.index("agent_statuses") < order.index("agents")
    monkeypatch.setattr(sample, "CHUNK_ROWS", 200)
    digests = []
    for workers in (1, 2):
        target = new_db("postgresql")
        sample_model(model, target, seed=3, workers=workers)
        digests.append(table_digest(target))
        with engine_for(target).connect() as conn:
            used = [str(u) for (u,) in conn.exec_driver_sql(
                "SELECT agent_uuid FROM agent_statuses")]
            keys = {str(u) for (u,) in conn.exec_driver_sql("SELECT agent_uuid FROM agents")}
        assert len(used) == 900 and len(keys) == 40
        assert set(used) <= keys, len(set(used) - keys)
        assert len(set(used)) >= 30 and not set(used) & set(agents)
    assert digests[0] == digests[1]
