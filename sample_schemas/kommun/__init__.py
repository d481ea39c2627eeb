"""The ``kommun`` sample: social-services case management of a Swedish municipality."""

from .generate import (
    COLUMNS,
    FOREIGN_KEYS,
    PRIMARY_KEYS,
    REFERENCE_DATE,
    TABLE_ORDER,
    Dataset,
    generate,
    luhn_check_digit,
    personnummer_is_valid,
)

__all__ = [
    "COLUMNS",
    "FOREIGN_KEYS",
    "PRIMARY_KEYS",
    "REFERENCE_DATE",
    "TABLE_ORDER",
    "Dataset",
    "generate",
    "luhn_check_digit",
    "personnummer_is_valid",
]
