"""Names of latent dimensions (`TableModel.copula`) and of bases (`ColumnModel.base`), built
and read here and nowhere else: the row's own column (``col``), the driving parent's
dimension (``^col``, ``^#child.fk``), the number of children through an FK
(``#child.a/b``). The model file writes them as typed objects (`specs.dim_to_json`)."""

from __future__ import annotations

from collections.abc import Sequence

_PARENT = "^"
_CHILDREN = "#"


def parent(dim: str) -> str:
    """The driving parent's dimension `dim`, as the child's rows see it."""
    return _PARENT + dim


def is_parent(dim: str | None) -> bool:
    return bool(dim) and dim.startswith(_PARENT)  # type: ignore[union-attr]


def of_parent(dim: str) -> str:
    """The parent's own name for a parent dimension (``^total`` -> ``total``)."""
    return dim[len(_PARENT):]


def children(table: str, fk_columns: Sequence[str]) -> str:
    """The number of `table`'s rows whose FK `fk_columns` point at the row."""
    return f"{_CHILDREN}{table}.{'/'.join(fk_columns)}"


def is_children(dim: str) -> bool:
    return dim.startswith(_CHILDREN)


def split_children(dim: str) -> tuple[str, tuple[str, ...]]:
    """(child table, FK columns) of a children-count dimension."""
    table, cols = dim[len(_CHILDREN):].split(".", 1)
    return table, tuple(cols.split("/"))
