"""The model file holds statistics, not rows: scan it for every real personal-data value and
every near-unique value of the shared databases."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import sqlalchemy as sa

from dbclone.api import fit_source
from dbclone.connect import engine_for
from dbclone.introspect import introspect
from dbclone.synth import model as model_io

#: Columns a person would call personal data, listed by hand (not by dbclone's detector).
PERSONAL = {
    "chinook": {"Customer": ["FirstName", "LastName", "Company", "Address", "City", "Phone", "Fax",
                             "Email"],
                "Employee": ["FirstName", "LastName", "Address", "Phone", "Fax", "Email",
                             "BirthDate"],
                "Invoice": ["BillingAddress"]},
    "employees": {"employee": ["first_name", "last_name"]},
}


def _strings_in(obj: object) -> set[str]:
    if isinstance(obj, str):
        return {obj}
    if isinstance(obj, dict):
        return set().union(*(_strings_in(v) for v in obj.values())) if obj else set()
    if isinstance(obj, list | tuple):
        return set().union(*(_strings_in(v) for v in obj)) if obj else set()
    return set()


@pytest.mark.parametrize("name", ["chinook", "employees"])
def test_model_file_has_no_personal_or_near_unique_value(name: str, shared, tmp_path) -> None:
    url = shared(name, "sqlite")
    path = tmp_path / "m.json"
    model = fit_source(url)
    model_io.save(model, path)
    stored = _strings_in(json.loads(path.read_text()))
    # Several words are compared in any case (an address stored lower-cased is still a leak);
    # one word exactly: text vocabularies keep words that k owners use, lower-cased, so
    # "robert" (in many composers' names) is there by design and does not reveal a customer.
    folded = {v.casefold() for v in stored}
    engine = engine_for(url)
    schema = introspect(engine)
    verbatim = {t.name for t in model.tables if t.verbatim}
    leaks = []
    with engine.connect() as conn:
        for table in schema.tables:
            frame = pd.read_sql_query(sa.text(f'SELECT * FROM "{table.name}"'), conn)
            personal = PERSONAL[name].get(table.name.title() if name == "chinook"
                                          else table.name, [])
            personal = [c for c in frame.columns if c in personal or c.lower() in personal]
            for col in frame.columns:
                values = frame[col].dropna().astype(str)
                near_unique = len(values) and values.nunique() >= 0.9 * len(values)
                if col in personal or (near_unique and table.name not in verbatim):
                    leaks += [f"{table.name}.{col}={v!r}" for v in set(values)
                              if len(v) >= 4 and (v in stored or (" " in v.strip() and
                                                              v.casefold() in folded))]
    assert not leaks, leaks[:10]
    # Only small lookup tables without personal data carry rows.
    assert verbatim <= {"Genre", "MediaType", "Playlist", "department"}
    for t in model.tables:
        if t.name not in verbatim:
            assert t.rows == () and t.latent == ()
