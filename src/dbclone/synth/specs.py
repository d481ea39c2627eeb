"""Typed column specs: one frozen record per strategy, holding only the fields that strategy
uses, and how each is written to the model file (format version 2) and read back.

In the file every column spec is an object tagged with its ``kind`` (the strategy) and only
its own fields; names that point elsewhere are typed objects instead of strings parsed by
slicing: a latent dimension is ``{"own": col}``, ``{"children": table, "fk": [cols]}`` or
``{"parent": dim}``; a base ``{"own": col}`` or ``{"parent": {"own": col}}``; a derived
aggregate ``{"child", "fk", "how", "columns"}``; a soft key's ``ref`` ``{"table",
"column"}``; a grouped number's groups ``{"category", "null_rate", "quantiles"}``. A field
its kind does not hold is refused when read (never silently dropped), and a spec that holds
a value outside its kind's fields cannot be written (a fitting bug, caught before the file
claims to describe the column).

In memory the sampler's rules still read `model.ColumnModel`; `to_spec` / `from_spec`
convert, and a rule moves to its spec class by reading that instead.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any, ClassVar

from dbclone.errors import UsageError
from dbclone.semantic.columns import TextModel
from dbclone.synth import dims
from dbclone.synth.model import ColumnModel

Groups = tuple[tuple[Any, float, tuple[float, ...]], ...]


@dataclass(frozen=True)
class Spec:
    """What every spec has: the column (or, for a count, the ``#child.fk`` dimension)."""

    kind: ClassVar[str] = ""
    name: str
    reason: str = ""


@dataclass(frozen=True)
class KeySpec(Spec):
    kind: ClassVar[str] = "key"
    pattern: tuple[str, ...] = ()
    lengths: tuple[float, ...] = ()


@dataclass(frozen=True)
class FKSpec(Spec):
    kind: ClassVar[str] = "fk"


@dataclass(frozen=True)
class ComputedSpec(Spec):
    kind: ClassVar[str] = "computed"


@dataclass(frozen=True)
class NullSpec(Spec):
    kind: ClassVar[str] = "null"
    null_rate: float = 0.0


@dataclass(frozen=True)
class ParentCopySpec(Spec):
    kind: ClassVar[str] = "parent"
    null_rate: float = 0.0
    base: str | None = None


@dataclass(frozen=True)
class JointSpec(Spec):
    kind: ClassVar[str] = "joint"
    base: str | None = None
    #: The column's recognised kind (a country generated with its city): for row rules.
    text: TextModel | None = None


@dataclass(frozen=True)
class NumericSpec(Spec):
    kind: ClassVar[str] = "numeric"
    null_rate: float = 0.0
    quantiles: tuple[float, ...] = ()
    integer: bool = False
    step: float = 0.0
    #: Steps coarser than `step` that most values sit on, coarsest first, with the share
    #: of values on each and on no coarser one (`semantic.relations.granularity`).
    grain_steps: tuple[float, ...] = ()
    grain_shares: tuple[float, ...] = ()
    #: A sentinel value ("valid until 9999-01-01") and its share.
    values: tuple[Any, ...] = ()
    probs: tuple[float, ...] = ()
    base: str | None = None
    op: str = ""
    delta: tuple[float, ...] = ()
    bounds: tuple[float, ...] = ()
    by: str | None = None
    groups: Groups = ()
    #: Wide decimals and 64-bit integers: the exact number the modelled distance is added to.
    offset: str = ""
    derived: tuple[str, ...] = ()


@dataclass(frozen=True)
class CategoricalSpec(Spec):
    kind: ClassVar[str] = "categorical"
    null_rate: float = 0.0
    values: tuple[Any, ...] = ()
    probs: tuple[float, ...] = ()
    joint: tuple[str, ...] = ()
    #: The column's recognised kind, which its rare values' stand-ins are of.
    text: TextModel | None = None


@dataclass(frozen=True)
class SemanticSpec(Spec):
    """Text of a recognised kind, or phrase templates (`columns.meaning`)."""

    kind: ClassVar[str] = "semantic"
    null_rate: float = 0.0
    lengths: tuple[float, ...] = ()
    empty_rate: float = 0.0
    text: TextModel | None = None


@dataclass(frozen=True)
class PersonalSpec(Spec):
    kind: ClassVar[str] = "pii"
    null_rate: float = 0.0
    pii: str | None = None
    lengths: tuple[float, ...] = ()
    pattern: tuple[str, ...] = ()
    empty_rate: float = 0.0
    #: Email domains, or the Faker locales of a street address, and their shares.
    values: tuple[Any, ...] = ()
    probs: tuple[float, ...] = ()
    case: str = ""
    styles: tuple[float, ...] = ()
    prefixes: tuple[tuple[Any, ...], ...] = ()
    digits: tuple[tuple[Any, ...], ...] = ()
    #: Street addresses from the column's own token chain (`columns.personal`).
    text: TextModel | None = None


@dataclass(frozen=True)
class TextSpec(Spec):
    kind: ClassVar[str] = "text"
    null_rate: float = 0.0
    lengths: tuple[float, ...] = ()
    #: Vocabulary and its frequencies; `pattern` ("sentences",) when the text has them.
    values: tuple[Any, ...] = ()
    probs: tuple[float, ...] = ()
    pattern: tuple[str, ...] = ()
    case: str = ""
    empty_rate: float = 0.0


@dataclass(frozen=True)
class PatternSpec(Spec):
    kind: ClassVar[str] = "pattern"
    null_rate: float = 0.0
    pattern: tuple[str, ...] = ()
    lengths: tuple[float, ...] = ()
    empty_rate: float = 0.0


@dataclass(frozen=True)
class SoftKeySpec(Spec):
    kind: ClassVar[str] = "softkey"
    null_rate: float = 0.0
    #: The source's lowest and highest id.
    quantiles: tuple[float, ...] = ()
    integer: bool = False
    #: How many rows share one id, and the share of ids that do.
    values: tuple[Any, ...] = ()
    probs: tuple[float, ...] = ()
    step: float = 0.0
    ref: str | None = None


@dataclass(frozen=True)
class ArraySpec(Spec):
    kind: ClassVar[str] = "array"
    null_rate: float = 0.0
    values: tuple[Any, ...] = ()
    probs: tuple[float, ...] = ()
    lengths: tuple[float, ...] = ()
    #: How elements rarer than k rows are made anew, their quantiles, and the share of
    #: elements drawn from `values`.
    elements: str = ""
    quantiles: tuple[float, ...] = ()
    integer: bool = False
    kept_share: float = 1.0


@dataclass(frozen=True)
class TypedSpec(Spec):
    """A type without a copula kind, generated by its family (`synth.types`)."""

    kind: ClassVar[str] = "typed"
    null_rate: float = 0.0
    #: The family's summary as JSON text ({"family": ..., ...}).
    pattern: tuple[str, ...] = ()


@dataclass(frozen=True)
class BytesSpec(Spec):
    kind: ClassVar[str] = "bytes"
    null_rate: float = 0.0
    lengths: tuple[float, ...] = ()


@dataclass(frozen=True)
class UUIDSpec(Spec):
    kind: ClassVar[str] = "uuid"
    null_rate: float = 0.0


@dataclass(frozen=True)
class JSONSpec(Spec):
    kind: ClassVar[str] = "json"
    null_rate: float = 0.0
    #: The structure (keys, types, nesting) as JSON text.
    pattern: tuple[str, ...] = ()


@dataclass(frozen=True)
class CountSpec(Spec):
    """Children per row drawn per category of the row (`TableModel.counts`)."""

    kind: ClassVar[str] = "count"
    quantiles: tuple[float, ...] = ()
    integer: bool = False
    by: str | None = None
    groups: Groups = ()


#: Every spec class by its kind.
SPECS: dict[str, type[Spec]] = {cls.kind: cls for cls in (
    KeySpec, FKSpec, ComputedSpec, NullSpec, ParentCopySpec, JointSpec, NumericSpec,
    CategoricalSpec, SemanticSpec, PersonalSpec, TextSpec, PatternSpec, SoftKeySpec,
    ArraySpec, BytesSpec, UUIDSpec, JSONSpec, TypedSpec, CountSpec)}

_DEFAULTS = {f.name: f.default for f in dataclasses.fields(ColumnModel)
             if f.default is not dataclasses.MISSING}


def to_spec(cm: ColumnModel) -> Spec:
    """The typed spec of a column; a value in a field its kind does not hold is a bug."""
    cls = SPECS.get(cm.strategy)
    if cls is None:
        raise ValueError(f"column {cm.name!r}: no spec for strategy {cm.strategy!r}")
    own = {f.name for f in dataclasses.fields(cls)}
    stray = [f for f, default in _DEFAULTS.items()
             if f not in own and f != "strategy" and getattr(cm, f) != default]
    if stray:
        raise ValueError(f"column {cm.name!r}: a {cm.strategy} spec holds no {stray}")
    return cls(**{f: getattr(cm, f) for f in own})


def from_spec(spec: Spec) -> ColumnModel:
    # Field by field: asdict would turn a nested record (a TextModel) into a dict.
    return ColumnModel(strategy=spec.kind,
                       **{f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)})


# -- the file -------------------------------------------------------------------------------

def dim_to_json(dim: str) -> dict[str, Any]:
    """A latent dimension's name as a typed object (``^x``: the parent's x; ``#t.a/b``: the
    number of children in t through FK (a, b); else the row's own column)."""
    if dims.is_parent(dim):
        return {"parent": dim_to_json(dims.of_parent(dim))}
    if dims.is_children(dim):
        child, cols = dims.split_children(dim)
        return {"children": child, "fk": list(cols)}
    return {"own": dim}


def dim_from_json(value: Any, where: str) -> str:
    if isinstance(value, dict) and set(value) == {"parent"}:
        return dims.parent(dim_from_json(value["parent"], where))
    if isinstance(value, dict) and set(value) == {"children", "fk"} \
            and isinstance(value["children"], str) and isinstance(value["fk"], list):
        return dims.children(value["children"], [str(c) for c in value["fk"]])
    if isinstance(value, dict) and set(value) == {"own"} and isinstance(value["own"], str):
        return value["own"]
    raise _damaged(f"{where} should be a dimension ({{\"own\": column}}, {{\"children\": "
                   f"table, \"fk\": [columns]}} or {{\"parent\": dimension}}), not "
                   f"{value!r:.60}")


#: Fields whose in-memory strings are written as typed objects: (to JSON, from JSON).
_CODECS: dict[str, tuple[Any, Any]] = {
    "base": (lambda v: dim_to_json(v),
             lambda v, where: dim_from_json(v, where)),
    "by": (lambda v: {"own": v}, lambda v, where: dim_from_json(v, where)),
    "ref": (lambda v: dict(zip(("table", "column"), v.rsplit(".", 1), strict=True)),
            lambda v, where: _ref_from_json(v, where)),
    "derived": (lambda v: {"child": v[0], "fk": v[1].split("/"), "how": v[2],
                           "columns": list(v[3:])},
                lambda v, where: _derived_from_json(v, where)),
    "groups": (lambda v: [{"category": c, "null_rate": r, "quantiles": list(q)}
                          for c, r, q in v],
               lambda v, where: _groups_from_json(v, where)),
}


def spec_to_json(spec: Spec) -> dict[str, Any]:
    """The spec as written: its kind, then its fields (typed objects for names)."""
    out: dict[str, Any] = {"kind": spec.kind}
    for f in dataclasses.fields(spec):
        value = getattr(spec, f.name)
        if f.name == "name" and isinstance(spec, CountSpec):
            out["name"] = dim_to_json(value)
        elif f.name in _CODECS and value not in (None, ()):
            out[f.name] = _CODECS[f.name][0](value)
        else:
            out[f.name] = _plain(value)
    return out


def spec_from_json(value: Any, where: str) -> Spec:
    """A spec read from the file: a known kind, only its fields, each of its type."""
    from dbclone.schema import _build

    if not isinstance(value, dict):
        raise _damaged(f"{where} should be a column spec (an object), not {value!r:.60}")
    here = f"{where} {value.get('name')!r}" if isinstance(value.get("name"), str) else where
    if not isinstance(value.get("kind"), str):
        raise _damaged(f"{here} lacks the field 'kind' (the column's strategy)")
    cls = SPECS.get(value["kind"])
    if cls is None:
        raise _damaged(f"{here} has the unknown kind {value['kind']!r} (known: "
                       f"{', '.join(sorted(SPECS))})")
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(value) - fields - {"kind"})
    if unknown:
        raise _damaged(f"{here} has the field {unknown[0]!r}, which a {cls.kind} spec does "
                       f"not hold (it holds {', '.join(sorted(fields))})")
    body = {k: v for k, v in value.items() if k != "kind"}
    if cls is CountSpec and "name" in body:
        body["name"] = dim_from_json(body["name"], f"{here}.name")
    coded = {name for name in _CODECS if body.get(name) not in (None, [])}
    for name in coded:
        body[name] = _CODECS[name][1](body[name], f"{here}.{name}")
    hints = typing.get_type_hints(cls)
    kwargs = {k: (v if k in coded else _build(hints[k], v, f"{here}.{k}"))
              for k, v in body.items()}
    if "name" not in kwargs:
        raise _damaged(f"{here} lacks the field 'name'")
    return cls(**kwargs)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def _ref_from_json(value: Any, where: str) -> str:
    if isinstance(value, dict) and set(value) == {"table", "column"}:
        return f"{value['table']}.{value['column']}"
    raise _damaged(f"{where} should be {{\"table\": ..., \"column\": ...}}, not {value!r:.60}")


def _derived_from_json(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, dict) and set(value) == {"child", "fk", "how", "columns"}:
        return (value["child"], "/".join(value["fk"]), value["how"], *value["columns"])
    raise _damaged(f"{where} should be {{\"child\", \"fk\", \"how\", \"columns\"}}, not "
                   f"{value!r:.60}")


def _groups_from_json(value: Any, where: str) -> Groups:
    if not isinstance(value, list) or not all(
            isinstance(g, dict) and set(g) == {"category", "null_rate", "quantiles"}
            for g in value):
        raise _damaged(f"{where} should be a list of {{\"category\", \"null_rate\", "
                       f"\"quantiles\"}}, not {value!r:.60}")
    return tuple((g["category"], float(g["null_rate"]), tuple(float(q) for q in g["quantiles"]))
                 for g in value)


def _damaged(what: str) -> UsageError:
    return UsageError(f"the model file is damaged: {what}; fit the model again")
