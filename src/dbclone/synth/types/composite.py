"""PostgreSQL composite types (records) and domains over them: each field is fitted as a
sub-column of its own type and generated independently, and the fields are written back as
one row literal, `("Storgatan 4",10012,Umeå)`.

A field is modelled as its type asks: numbers and dates by a quantile grid, booleans and enum
labels by their shares, text by the values at least k rows share (other text is new words of
the source's lengths, cut to the declared length), json by its structure, bytea by its
lengths, a type a family
generates (inet, point...) by that family, a nested composite by recursion, an interval by
its months, days and clock time apart (each a quantile grid; the clock time kept to the
coarsest unit every source value is a whole number of: hours, minutes, seconds). A field of
any other type makes the column refused up front: `unsupported` says which field.
An array field (text[], inet[]) has its elements pooled and made as their type asks.
Fields are independent of each other: a record's zip code does not follow its city.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np

from dbclone.schema import Schema
from dbclone.synth.columns import jsongen
from dbclone.synth.types import _common, arrays
from dbclone.synth.types._common import choose, counts, draw, grid, type_name, words

_INTS = {"smallint", "integer", "int", "int2", "int4", "int8", "bigint", "smallserial",
         "serial", "bigserial"}
_NUMS = {"numeric", "decimal", "real", "double precision", "float4", "float8", "float"}
_TEXTS = {"text", "character varying", "varchar", "character", "char", "bpchar", "citext",
          "name"}
_TIMES = {"date", "timestamp without time zone", "timestamp with time zone", "timestamp",
          "timestamptz"}
_BOOLS = {"boolean", "bool"}
_EPOCH = dt.datetime(1970, 1, 1)
#: A field's type name -> how it is generated.
_BY_NAME = {name: how for how, names in (
    ("int", _INTS), ("num", _NUMS), ("text", _TEXTS), ("time", _TIMES), ("bool", _BOOLS),
    ("uuid", {"uuid"}), ("timeofday", {"time", "time without time zone"}),
    ("json", {"json", "jsonb"}), ("bytes", {"bytea"}), ("interval", {"interval"}))
    for name in names}


def _unquoted(name: str) -> str:
    return name.replace('"', "")


def resolve(schema: Schema, sql_type: str) -> str:
    """The type under domains (domains over domains, schema-qualified names included)."""
    domains = {d.name: d.base_type for d in schema.domains}
    domains |= {f"{d.schema}.{d.name}": d.base_type for d in schema.domains if d.schema}
    seen: set[str] = set()
    name = sql_type
    while _unquoted(name) in domains and _unquoted(name) not in seen:
        seen.add(_unquoted(name))
        name = domains[_unquoted(name)]
    return name


def attributes(schema: Schema, sql_type: str) -> tuple[tuple[str, str], ...] | None:
    """The (field, type) pairs of a composite type (or a domain over one); None otherwise."""
    name = _unquoted(resolve(schema, sql_type))
    for c in schema.composites:
        if name == c.name or (c.schema and name == f"{c.schema}.{c.name}"):
            return c.attributes
    return None


def _how(schema: Schema, field_type: str, family_of: Callable[[str], str | None]) -> str:
    """How a field of this type is generated ("" when it is not)."""
    base = resolve(schema, field_type)
    name = type_name(base)
    if base.rstrip().endswith("]"):
        element = arrays.element_type(base)
        return "array" if element and _how(schema, element, family_of) else ""
    if attributes(schema, base) is not None:
        return "record"
    if _unquoted(base) in {e.name for e in schema.enums} or \
            name in {e.name for e in schema.enums}:
        return "enum"
    if name in _BY_NAME:
        return _BY_NAME[name]
    return "family" if family_of(base) else ""


def unsupported(schema: Schema, sql_type: str, family_of: Callable[[str], str | None],
                depth: int = 0) -> str:
    """Why a record of this type cannot be generated ("" when it can)."""
    attrs = attributes(schema, sql_type) or ()
    if depth > 8:
        return "its fields nest composite types too deep"
    for field, ftype in attrs:
        how = _how(schema, ftype, family_of)
        if not how:
            return f"its field {field} ({ftype}) is of a type not generated inside a record"
        inner_type = arrays.element_type(resolve(schema, ftype)) if how == "array" else ftype
        if how in ("record", "array") and attributes(schema, inner_type or "") is not None:
            inner = unsupported(schema, inner_type or "", family_of, depth + 1)
            if inner:
                return f"its field {field}: {inner}"
    return ""


# -- the row literal --------------------------------------------------------------------------

def parse(text: str) -> list[str | None]:
    """A row literal's fields as text; an empty unquoted field is NULL."""
    body = text.strip()[1:-1]
    out: list[str | None] = []
    i, n = 0, len(body)
    while True:
        if i < n and body[i] == '"':
            buf, i = [], i + 1
            while i < n:
                ch = body[i]
                if ch == "\\" and i + 1 < n:
                    buf.append(body[i + 1])
                    i += 2
                elif ch == '"' and i + 1 < n and body[i + 1] == '"':
                    buf.append('"')
                    i += 2
                elif ch == '"':
                    i += 1
                    break
                else:
                    buf.append(ch)
                    i += 1
            end = body.find(",", i)
            out.append("".join(buf))
        else:
            end = body.find(",", i)
            raw = body[i:] if end < 0 else body[i:end]
            out.append(raw if raw else None)
        if end < 0:
            return out
        i = end + 1


_PLAIN = re.compile(r'[^(),"\\\s]+')


def literal(fields: list[Any]) -> str:
    """Fields as a row literal; a field quoted where it is empty or holds a special
    character, NULL as an empty field."""
    parts = []
    for v in fields:
        if v is None:
            parts.append("")
            continue
        text = "t" if v is True else "f" if v is False else str(v)
        parts.append(text if _PLAIN.fullmatch(text) else
                     '"' + text.replace("\\", "\\\\").replace('"', '""') + '"')
    return "(" + ",".join(parts) + ")"


# -- fit and sample -----------------------------------------------------------------------------

def _modifiers(sql_type: str) -> list[int]:
    m = re.search(r"\(([\d,\s]+)\)", sql_type)
    return [int(x) for x in m.group(1).split(",")] if m else []


def _seconds(text: str) -> float:
    return (dt.datetime.fromisoformat(text[:26].replace(" ", "T")[:19]) - _EPOCH).total_seconds()


#: An interval as PostgreSQL prints it inside a record (IntervalStyle postgres, the default):
#: '1 year 2 mons 3 days 04:05:06.5', '3 mons', '-1 days +02:00:00', '-00:00:01'.
_INTERVAL = re.compile(r"(?:(?P<y>[+-]?\d+) years? ?)?(?:(?P<mo>[+-]?\d+) mons? ?)?"
                       r"(?:(?P<d>[+-]?\d+) days? ?)?"
                       r"(?:(?P<sign>[+-])?(?P<h>\d+):(?P<mi>\d\d):(?P<s>\d\d(?:\.\d+)?))?")
#: Clock-time units an interval field may keep, coarsest first (seconds).
_UNITS = (3600.0, 60.0, 1.0)


def _interval(text: str) -> tuple[int, int, float]:
    """(months, days, seconds) of an interval's text form; ValueError for another style."""
    m = _INTERVAL.fullmatch(text.strip())
    if m is None or not text.strip():
        raise ValueError(f"interval {text!r} is not in IntervalStyle postgres")
    months = 12 * int(m["y"] or 0) + int(m["mo"] or 0)
    secs = int(m["h"] or 0) * 3600 + int(m["mi"] or 0) * 60 + float(m["s"] or 0)
    return months, int(m["d"] or 0), -secs if m["sign"] == "-" else secs


def _clock(text: str) -> float:
    h, m, s = text[:8].split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


FieldFitter = Callable[[list[str], str, int], dict[str, Any]]


def _fit_number(values: list[str], ftype: str, k: int) -> dict[str, Any]:
    mods = _modifiers(ftype)
    return {"qs": grid(float(v) for v in values),
            "scale": mods[1] if len(mods) > 1 else (0 if len(mods) == 1 else 6)}


def _fit_int(values: list[str], ftype: str, k: int) -> dict[str, Any]:
    return {"qs": grid(int(v) for v in values)}


def _fit_text(values: list[str], ftype: str, k: int) -> dict[str, Any]:
    kept, probs = counts(values, k)
    held = set(kept)
    mods = _modifiers(ftype)
    return {"values": kept, "probs": probs,
            "kept": _common.share(v in held for v in values),
            "lengths": grid(len(v) for v in values if v not in held) or [1.0],
            "max": mods[0] if mods else 0, "pad": type_name(ftype) in ("character", "char",
                                                                       "bpchar")}


def _fit_cat(values: list[str], ftype: str, k: int) -> dict[str, Any]:
    kept, probs = counts(values, 1)  # booleans and enum labels name no one
    return {"values": kept, "probs": probs}


def _fit_time(values: list[str], ftype: str, k: int) -> dict[str, Any]:
    return {"qs": grid(_seconds(v) for v in values), "date": type_name(ftype) == "date",
            "tz": "with time zone" in ftype or type_name(ftype) == "timestamptz"}


def _fit_clock(values: list[str], ftype: str, k: int) -> dict[str, Any]:
    return {"qs": grid(_clock(v) for v in values)}


def _fit_interval(values: list[str], ftype: str, k: int) -> dict[str, Any]:
    parts = [_interval(v) for v in values]
    secs = [p[2] for p in parts]
    unit = next((u for u in _UNITS if all(s % u == 0 for s in secs)), 0.0)
    return {"months": grid(p[0] for p in parts), "days": grid(p[1] for p in parts),
            "secs": grid(secs), "unit": unit}


def _intervals(spec: dict[str, Any], n: int, rng: np.random.Generator) -> list[Any]:
    months = np.round(draw(spec["months"], n, rng)).astype(int).tolist()
    days = np.round(draw(spec["days"], n, rng)).astype(int).tolist()
    raw = draw(spec["secs"], n, rng)
    unit = spec["unit"]
    secs = (np.round(raw / unit) * unit if unit else np.round(raw, 6)).tolist()
    out = []
    for mo, d, s in zip(months, days, secs, strict=True):
        whole, frac = divmod(abs(s), 1.0)
        clock = (f"{'-' if s < 0 else ''}{int(whole) // 3600:02d}:{int(whole) // 60 % 60:02d}:"
                 f"{int(whole) % 60:02d}" + (f"{frac:.6f}"[1:] if round(frac, 6) else ""))
        out.append(f"{mo} mons {d} days {clock}")
    return out


def _fit_uuid(values: list[str], ftype: str, k: int) -> dict[str, Any]:
    return {}


def _fit_json(values: list[str], ftype: str, k: int) -> dict[str, Any]:
    """The documents' structure (keys, types, nesting: what k rows share), as the JSON
    column rule learns it."""
    return {"shape": jsongen.summarise([jsongen.parse(v) for v in values], k)}


def _fit_bytes(values: list[str], ftype: str, k: int) -> dict[str, Any]:
    """Byte strings' lengths (a record's bytea prints as \\x and hex digits); the bytes are
    new."""
    return {"lengths": grid(max(len(v) - 2, 0) // 2 for v in values)}


def _bytes(spec: dict[str, Any], n: int, rng: np.random.Generator) -> list[Any]:
    sizes = np.maximum(np.round(draw(spec["lengths"], n, rng)), 0).astype(int).tolist()
    return ["\\x" + rng.bytes(size).hex() for size in sizes]


_FITTERS: dict[str, FieldFitter] = {
    "json": _fit_json, "bytes": _fit_bytes,
    "int": _fit_int, "num": _fit_number, "text": _fit_text, "bool": _fit_cat,
    "enum": _fit_cat, "time": _fit_time, "timeofday": _fit_clock, "uuid": _fit_uuid,
    "interval": _fit_interval}


Fitters = tuple[Callable[[str], str | None], Callable[[str, list[Any], str, int], dict[str, Any]]]


def fit(schema: Schema, sql_type: str, values: list[Any], k: int,
        family_of: Callable[[str], str | None],
        family_fit: Callable[[str, list[Any], str, int], dict[str, Any]]) -> dict[str, Any]:
    """Per field: how it is made, its NULL share among the records, and its summary."""
    records = [parse(str(v)) for v in values]
    fields = []
    for i, (name, ftype) in enumerate(attributes(schema, sql_type) or ()):
        column = [r[i] if i < len(r) else None for r in records]
        present = [v for v in column if v is not None]
        spec = _fit_field(schema, ftype, present, k, (family_of, family_fit))
        spec |= {"name": name, "null": 1.0 - len(present) / len(column) if column else 0.0}
        fields.append(spec)
    return {"fields": fields}


def _fit_field(schema: Schema, ftype: str, present: list[Any], k: int,
               fitters: Fitters) -> dict[str, Any]:
    """How a field's (or an array element's) non-NULL values are made, and their summary."""
    family_of, family_fit = fitters
    how = _how(schema, ftype, family_of)
    base = resolve(schema, ftype)
    if not present:
        return {"how": "null"}
    if how == "record":
        return {"how": how, "record": fit(schema, base, present, k, family_of, family_fit)}
    if how == "family":
        family = str(family_of(base))
        return {"how": how, "family": family, "params": family_fit(family, present, base, k)}
    if how == "array":  # an array inside the record: its elements pooled, fitted alike
        element = str(arrays.element_type(base))
        delim = ";" if type_name(element) == "box" else ","
        lists = [arrays.parse(v, delim) for v in present]
        items = [x for a in lists for x in a]
        return {"how": how, "delim": delim, "lengths": grid(len(a) for a in lists),
                "inull": _common.share(x is None for x in items),
                "item": _fit_field(schema, element, [x for x in items if x is not None], k,
                                   fitters)}
    return {"how": how} | _FITTERS[how](present, base, k)


def _text(spec: dict[str, Any], n: int, rng: np.random.Generator) -> list[Any]:
    new = words(draw(spec["lengths"], n, rng), rng)
    kept = choose(spec["values"], spec["probs"], n, rng) if spec["values"] else new
    take = rng.random(n) < spec["kept"]
    out = [k if t else w for k, w, t in zip(kept, new, take.tolist(), strict=True)]
    if spec["max"]:
        out = [v[:spec["max"]] for v in out]
    return out


def _number(spec: dict[str, Any], n: int, rng: np.random.Generator) -> list[Any]:
    scale = int(spec["scale"])
    return [f"{v:.{scale}f}" for v in draw(spec["qs"], n, rng).tolist()]


def _int(spec: dict[str, Any], n: int, rng: np.random.Generator) -> list[Any]:
    return [int(v) for v in np.round(draw(spec["qs"], n, rng)).tolist()]


def _time(spec: dict[str, Any], n: int, rng: np.random.Generator) -> list[Any]:
    out = []
    for s in draw(spec["qs"], n, rng).tolist():
        when = _EPOCH + dt.timedelta(seconds=round(s))
        out.append(when.date().isoformat() if spec["date"] else
                   when.isoformat(sep=" ") + ("+00" if spec["tz"] else ""))
    return out


def _clock_values(spec: dict[str, Any], n: int, rng: np.random.Generator) -> list[Any]:
    secs = np.clip(np.round(draw(spec["qs"], n, rng)), 0, 86399).astype(int).tolist()
    return [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in secs]


FieldSampler = Callable[[dict[str, Any], int, np.random.Generator], list[Any]]
_SAMPLERS: dict[str, FieldSampler] = {
    "int": _int, "num": _number, "text": _text,
    "bool": lambda s, n, rng: choose(s["values"], s["probs"], n, rng),
    "enum": lambda s, n, rng: choose(s["values"], s["probs"], n, rng),
    "time": _time, "timeofday": _clock_values,
    "uuid": lambda s, n, rng: [str(uuid.UUID(bytes=rng.bytes(16), version=4))
                               for _ in range(n)],
    "null": lambda s, n, rng: [None] * n, "bytes": _bytes, "interval": _intervals,
    "json": lambda s, n, rng: [json.dumps(jsongen.generate(s["shape"], rng)) for _ in range(n)],
}


def sample(params: dict[str, Any], n: int, rng: np.random.Generator,
           family_sample: Callable[[str, dict[str, Any], int, np.random.Generator], list[Any]]
           ) -> list[str]:
    columns: list[list[Any]] = []
    for spec in params["fields"]:
        values = _sample_field(spec, n, rng, family_sample)
        if spec["null"] > 0:
            values = [None if u < spec["null"] else v
                      for v, u in zip(values, rng.random(n).tolist(), strict=True)]
        columns.append(values)
    return [literal(list(row)) for row in zip(*columns, strict=True)] if columns \
        else ["()"] * n


def _sample_field(spec: dict[str, Any], n: int, rng: np.random.Generator,
                  family_sample: Callable[[str, dict[str, Any], int, np.random.Generator],
                                          list[Any]]) -> list[Any]:
    if spec["how"] == "record":
        return list(sample(spec["record"], n, rng, family_sample))
    if spec["how"] == "family":
        return family_sample(spec["family"], spec["params"], n, rng)
    if spec["how"] == "array":
        sizes = np.maximum(np.round(draw(spec["lengths"], n, rng)), 0).astype(int).tolist()
        pool = _sample_field(spec["item"], int(sum(sizes)), rng, family_sample)
        drop = (rng.random(len(pool)) < spec["inull"]).tolist()
        pool = [None if d else v for v, d in zip(pool, drop, strict=True)]
        out, at = [], 0
        for size in sizes:
            out.append(arrays.literal(pool[at:at + size], spec["delim"]))
            at += size
        return out
    return _SAMPLERS[spec["how"]](spec, n, rng)
