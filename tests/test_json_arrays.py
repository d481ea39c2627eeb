"""JSON keeps its structure with synthetic values; arrays keep their lengths (PostgreSQL)."""

from __future__ import annotations

import json

import sqlalchemy as sa

from dbclone.api import clone
from dbclone.connect import engine_for


def _source(url: str) -> None:
    with engine_for(url).begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE event (id serial PRIMARY KEY, payload jsonb NOT NULL, tags text[])")
        rows = []
        for i in range(300):
            doc = {"kind": ["click", "view", "buy"][i % 3], "user": {"age": 20 + i % 50,
                                                                    "name": f"person{i}"},
                   "items": list(range(i % 4)), "ok": i % 2 == 0}
            tags = "{" + ",".join(["a", "b", "c", "d"][: i % 4]) + "}"
            rows.append(f"('{json.dumps(doc)}', '{tags}')")
        conn.exec_driver_sql("INSERT INTO event (payload, tags) VALUES " + ", ".join(rows))


def test_json_structure_and_array_lengths(new_db) -> None:
    source, target = new_db("postgresql"), new_db("postgresql")
    _source(source)
    clone(source, target, seed=3)
    with engine_for(target).connect() as conn:
        docs = [r[0] for r in conn.execute(sa.text("SELECT payload FROM event"))]
        tags = [r[0] for r in conn.execute(sa.text("SELECT tags FROM event"))]
    assert len(docs) == 300
    assert all(set(d) <= {"kind", "user", "items", "ok"} for d in docs)
    assert {d["kind"] for d in docs if "kind" in d} <= {"click", "view", "buy"}
    assert all(isinstance(d["user"]["age"], int) for d in docs if "age" in d.get("user", {}))
    names = {d["user"].get("name") for d in docs if "user" in d}
    assert not names & {f"person{i}" for i in range(300)}  # unique strings are never copied
    lengths = sorted(len(t) for t in tags if t is not None)
    assert lengths[0] == 0 and lengths[-1] == 3
    assert {x for t in tags if t for x in t} <= {"a", "b", "c"}
