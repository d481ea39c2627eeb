"""Within-row rules of issue 13 in a source and its clone: the share of rows in which a gender
agrees with the first name and with the personnummer's gender digit, a birth date with the
personnummer, a city with its row's country. Run on demand, not a test:

    python bench/within_rows.py SOURCE_URL CLONE_URL [--tables person customer ...]

The columns are found on the source's values, not their names: a personnummer column parses
as one in 90 % of its values, a first-name column has half its values in Faker's lists of one
gender, a gender column 2-4 values; a birth date column is a date equal to the
personnummer's in 90 % of rows; a country column names countries (ISO names or codes) in 90 %
of its distinct values, a city column names places the GeoNames list knows in half of them.
A rule's share is over the rows where both sides are set and (for names and cities) the
lists know the value; "known" is the share of rows whose value the lists know.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from dbclone.connect import engine_for  # noqa: E402
from dbclone.introspect import introspect  # noqa: E402
from dbclone.semantic import consistency as cons  # noqa: E402
from dbclone.semantic import reference as ref  # noqa: E402


def _frames(url: str, tables: list[str] | None) -> dict[str, pd.DataFrame]:
    engine = engine_for(url)
    schema = introspect(engine)
    out = {}
    with engine.connect() as conn:
        for t in schema.tables:
            if tables and t.name not in tables:
                continue
            q = engine.dialect.identifier_preparer.quote
            out[t.name] = pd.read_sql_query(f"SELECT * FROM {q(t.name)}", conn)
    return out


def _texts(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if df[c].dtype == object and df[c].map(
        lambda v: v is None or isinstance(v, str)).all() and df[c].notna().any()]


def _share(ok: pd.Series) -> tuple[float, int]:
    return (float(ok.mean()) if len(ok) else float("nan")), len(ok)


def person_columns(df: pd.DataFrame, locale: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for c in _texts(df):
        v = df[c].dropna()
        if v.map(lambda s: cons.pnr_gender(s) is not None and cons.pnr_birth(s) is not None
                 ).mean() >= 0.9:
            found.setdefault("pnr", c)
        elif v.map(lambda s: cons.name_gender(s, locale) is not None).mean() >= 0.5 and \
                v.nunique() > 4:
            found.setdefault("first", c)
        elif 2 <= v.nunique() <= 4 and "gender" not in found:
            found["gender_candidates"] = found.get("gender_candidates", "") + "\x00" + c
    if "pnr" in found:
        born = cons_births(df[found["pnr"]])
        for c in df.columns:
            if c == found["pnr"]:
                continue
            try:
                d = pd.to_datetime(df[c], errors="coerce", format="mixed").dt.date
            except (TypeError, ValueError):
                continue
            if (d == born).mean() >= 0.9:
                found["birth"] = c
    return found


def cons_births(pnrs: pd.Series) -> pd.Series:
    return pnrs.map(lambda s: cons.pnr_birth(s) if isinstance(s, str) else None)


def _gender(df: pd.DataFrame, found: dict[str, str], source: pd.DataFrame | None,
            locale: str) -> str | None:
    """The candidate column that a personnummer or first name decides best in the source."""
    best, score = None, 0.0
    for c in found.get("gender_candidates", "").split("\x00"):
        if not c:
            continue
        said = _said(source if source is not None else df, found, locale)
        if said is None:
            continue
        dep = cons.dependency(said, (source if source is not None else df)[c])
        if dep > score:
            best, score = c, dep
    return best


def _said(df: pd.DataFrame, found: dict[str, str], locale: str) -> pd.Series | None:
    if "pnr" in found:
        return df[found["pnr"]].map(lambda s: cons.pnr_gender(s) if isinstance(s, str) else None)
    if "first" in found:
        return df[found["first"]].map(lambda s: cons.name_gender(s, locale)
                                      if isinstance(s, str) else None)
    return None


def person_rules(df: pd.DataFrame, cols: dict[str, str], gender: str | None,
                 mapping: dict[object, str], locale: str) -> dict[str, tuple[float, int]]:
    out: dict[str, tuple[float, int]] = {}
    g = df[gender].map(mapping) if gender else None
    if g is not None and "first" in cols:
        said = df[cols["first"]].map(lambda s: cons.name_gender(s, locale)
                                     if isinstance(s, str) else None)
        both = said.notna() & g.notna()
        out["gender-first name"] = _share(said[both] == g[both])
        out["first name known"] = _share(said.notna()[df[cols["first"]].notna()])
    if g is not None and "pnr" in cols:
        said = df[cols["pnr"]].map(lambda s: cons.pnr_gender(s) if isinstance(s, str) else None)
        both = said.notna() & g.notna()
        out["gender-pnr digit"] = _share(said[both] == g[both])
    if "birth" in cols:
        born = cons_births(df[cols["pnr"]])
        d = pd.to_datetime(df[cols["birth"]], errors="coerce", format="mixed").dt.date
        both = born.notna() & d.notna()
        out["birth date-pnr"] = _share(born[both] == d[both])
    return out


def place_pairs(df: pd.DataFrame) -> list[tuple[str, str]]:
    codes, places = ref.country_by_code(), ref.city_country()
    texts = _texts(df)
    countries = [c for c in texts if df[c].nunique() >= 2 and df[c].dropna().drop_duplicates().map(
        lambda v: (codes.get(v) or codes.get(ref.fold(v))) is not None).mean() >= 0.9]
    cities = [c for c in texts if c not in countries and df[c].nunique() >= 5 and
              df[c].dropna().drop_duplicates().map(lambda v: ref.fold(v) in places).mean() >= 0.5]
    out = []
    for country in countries:
        for city in cities:
            # the pair whose columns sit nearest each other (a billing city with its country)
            out.append((abs(df.columns.get_loc(city) - df.columns.get_loc(country)), city, country))
    seen: set[str] = set()
    pairs = []
    for _, city, country in sorted(out):
        if city not in seen and country not in {p[1] for p in pairs}:
            pairs.append((city, country))
            seen.add(city)
    return pairs


def place_rule(df: pd.DataFrame, city: str, country: str) -> dict[str, tuple[float, int]]:
    codes, places = ref.country_by_code(), ref.city_country()
    both = df[[city, country]].dropna()
    where = both[city].map(lambda v: places.get(ref.fold(v)))
    home = both[country].map(lambda v: getattr(codes.get(v) or codes.get(ref.fold(v)),
                                               "alpha_2", None))
    known = where.notna() & home.notna()
    # a city name several countries have: GeoNames lists the most populous; any of them
    # counts as agreeing where the source has it with this country
    many = ref.cities_by_country()
    ok = [w == h or ref.fold(c) in {ref.fold(x.name) for x in many.get(h, ())}
          for c, w, h in zip(both[city][known], where[known], home[known], strict=True)]
    fd = both.groupby(city)[country].nunique()
    return {f"{city}-{country}": _share(pd.Series(ok, dtype=bool)),
            f"{city} known": _share(where.notna()),
            f"{city} -> one {country}": _share(pd.Series(
                both[city].map(fd) == 1, dtype=bool))}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("source")
    p.add_argument("clone")
    p.add_argument("--tables", nargs="*")
    p.add_argument("--locale", default="sv_SE")
    args = p.parse_args(argv)
    src, cln = _frames(args.source, args.tables), _frames(args.clone, args.tables)
    for name, df in src.items():
        if name not in cln or df.empty:
            continue
        results: list[tuple[str, tuple[float, int], tuple[float, int]]] = []
        cols = person_columns(df, args.locale)
        gender = _gender(df, cols, df, args.locale)
        if gender:
            said = _said(df, cols, args.locale)
            frame = pd.DataFrame({"g": df[gender], "s": said}).dropna()
            mapping = {v: grp["s"].mode().iloc[0] for v, grp in frame.groupby("g")}
            a = person_rules(df, cols, gender, mapping, args.locale)
            b = person_rules(cln[name], cols, gender, mapping, args.locale)
            results += [(k, a[k], b.get(k, (float("nan"), 0))) for k in a]
        elif "birth" in cols:
            a, b = person_rules(df, cols, None, {}, args.locale), \
                person_rules(cln[name], cols, None, {}, args.locale)
            results += [(k, a[k], b.get(k, (float("nan"), 0))) for k in a]
        for city, country in place_pairs(df):
            a = place_rule(df, city, country)
            b = place_rule(cln[name], city, country)
            results += [(k, a[k], b[k]) for k in a]
        for rule, (sa, na), (sb, nb) in results:
            print(f"{name:18} {rule:36} source {100 * sa:6.2f} % of {na:5}   "
                  f"clone {100 * sb:6.2f} % of {nb:5}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
