"""Places, companies and formatted personal data that read as the source's, end to end on
SQLite sources made here: street addresses from the column's own words (streets named after
cities take public cities), addresses and companies in the languages of the rows' countries,
postcodes and IP addresses keeping what k owners share (whole values included) and a
postcode's district following its row's town, and never a value fewer than k owners hold,
in the clone or in the model file."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import sqlalchemy as sa

from dbclone.api import fit_source
from dbclone.semantic import reference as ref
from dbclone.synth import model as model_io
from tests.helpers import sqlite_clone, sqlite_source

_TYPES = ("Way", "Street", "Avenue", "Drive", "Lane", "Boulevard", "Parkway", "Loop")


def test_streets_named_after_cities_take_public_cities(new_db, tmp_path) -> None:
    rng = np.random.default_rng(0)
    cities = [c for c in ref.city_words() if c.isascii()][:400]
    rows = [(i + 1, f"{rng.integers(1, 2000)} {city} {_TYPES[i % len(_TYPES)]}")
            for i, city in enumerate(cities)]
    source = sqlite_source(new_db, ["CREATE TABLE address (id INTEGER PRIMARY KEY, "
                                    "address VARCHAR(60) NOT NULL)"], {"address": rows})
    with sqlite_clone(new_db, source, 1).connect() as conn:
        got = [a for (a,) in conn.execute(sa.text("SELECT address FROM address"))]
    assert len(got) == len(rows)
    assert not set(got) & {a for _, a in rows}
    parts = [re.fullmatch(r"(\d+) ([^\d]+) (\w+)", a) for a in got]
    shaped = [p for p in parts if p is not None and p.group(3) in _TYPES]
    assert len(shaped) >= 0.8 * len(got), got[:10]
    names = ref.city_names()
    streets = [p.group(2) for p in shaped]
    assert np.mean([ref.fold(s) in names for s in streets]) > 0.8, streets[:10]
    assert not {ref.fold(s) for s in streets} & {ref.fold(c) for c in cities}
    path = tmp_path / "m.json"
    model_io.save(fit_source(source), path)
    text = path.read_text()
    assert not [a for _, a in rows if a in text]
    assert model_io.load(path).table("address").column("address").text is not None


_STREETS = {"Germany": "straße", "France": "rue", "Sweden": "gatan"}


def test_addresses_and_companies_speak_the_rows_countries(new_db) -> None:
    rng = np.random.default_rng(2)
    rows = []
    for i in range(150):
        country = list(_STREETS)[i % 3]
        word = "".join(rng.choice(list("abcdefghiklmnoprstu"), 6))
        rows.append((i + 1, f"{word.title()} {country[:3]}", f"{word}{_STREETS[country]} "
                     f"{rng.integers(1, 90)}", country))
    source = sqlite_source(new_db, ["CREATE TABLE customer (id INTEGER PRIMARY KEY, "
                                    "company_name VARCHAR(80), address VARCHAR(80), "
                                    "country VARCHAR(20))"], {"customer": rows})
    table = fit_source(source).table("customer")
    address = table.column("address")
    assert set(address.values) == {"de_DE", "fr_FR", "sv_SE"}
    assert np.allclose(address.probs, 1 / 3, atol=0.01)
    company = table.column("company_name")
    assert company.text is not None and dict(company.text.countries).keys() == \
        {"DE", "FR", "SE"}
    pool = " ".join(company.text.pool)
    assert re.search(r"\b(GmbH|AG|KG)\b", pool) and re.search(r"\b(AB|HB)\b", pool)
    with sqlite_clone(new_db, source, 0).connect() as conn:
        got = [a for (a,) in conn.execute(sa.text("SELECT address FROM customer"))]
    assert all("\n" not in a for a in got)
    german = [a for a in got if re.search(r"(straße|str\.|weg|allee|platz|gasse|ring)\b", a)]
    swedish = [a for a in got if re.search(r"(gatan|vägen|gränd|stigen|torget)\b", a)]
    assert len(german) >= 0.15 * len(got) and len(swedish) >= 0.15 * len(got), got[:10]


def test_a_postcode_follows_its_town_and_no_rare_one_comes_back(new_db, tmp_path) -> None:
    rng = np.random.default_rng(3)
    districts = {"Älvstad": "645", "Lövnäs": "646", "Hamnby": "247"}
    rows = []
    for i in range(600):
        town = list(districts)[i % 3]
        tail = int(rng.choice([31, 32, 40, 56, 73, 81])) if rng.random() < 0.9 \
            else int(rng.integers(10, 99))
        rows.append((i + 1, town, f"{districts[town]} {tail:02d}",
                     f"10.41.{i % 3 + 1}.{rng.integers(20, 24)}" if rng.random() < 0.8
                     else f"10.99.{rng.integers(0, 4)}.{rng.integers(1, 255)}"))
    source = sqlite_source(new_db, [
        "CREATE TABLE household (id INTEGER PRIMARY KEY, town VARCHAR(20) NOT NULL, "
        "postal_code CHAR(6) NOT NULL CHECK (postal_code GLOB '[0-9][0-9][0-9] [0-9][0-9]'), "
        "client_ip VARCHAR(45))"], {"household": rows})
    held = Counter(p for _, _, p, _ in rows)
    ips = Counter(ip for _, _, _, ip in rows)
    with sqlite_clone(new_db, source, 0).connect() as conn:
        got = conn.execute(sa.text("SELECT town, postal_code, client_ip FROM household")).all()
    assert len(got) == len(rows)
    assert all(p.startswith(districts[t] + " ") for t, p, _ in got if t in districts), got[:10]
    assert not [p for _, p, _ in got if 0 < held[p] < 5]
    # the common codes come back whole: the clone's codes are mostly the source's
    assert np.mean([held[p] >= 5 for _, p, _ in got]) > 0.8
    assert not [ip for _, _, ip in got if 0 < ips[ip] < 5]
    assert all(ip.startswith("10.") and all(int(o) <= 255 for o in ip.split("."))
               for _, _, ip in got)
    assert np.mean([ip.startswith("10.41.") for _, _, ip in got]) > 0.6
    path = tmp_path / "m.json"
    model = fit_source(source)
    model_io.save(model, path)
    text = path.read_text()
    assert not [p for p, n in held.items() if n < 5 and f'"{p}"' in text]
    assert not [ip for ip, n in ips.items() if n < 5 and f'"{ip}"' in text]
    assert [r.kind for r in model.table("household").rules] == ["prefix_by"]
