"""The tests' own rule: a test module imports no other test module (nor conftest) and no
private name; what tests share lives in `helpers` (or a fixture), and what they need from
dbclone is public."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _offences(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = [a.name for a in node.names]
            if module.startswith(("tests.test_", "tests.conftest")) or (
                    module == "tests" and any(n.startswith("test_") for n in names)):
                found.append(f"{path.name}:{node.lineno} imports from {module}")
            found += [f"{path.name}:{node.lineno} imports private {module}.{n}"
                      for n in names if n.startswith("_") and not n.startswith("__")]
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_") \
                and not node.attr.startswith("__") \
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
            found.append(f"{path.name}:{node.lineno} reads private .{node.attr}")
    return found


def test_tests_import_no_test_module_and_no_private_name() -> None:
    offences = [o for path in sorted(TESTS.glob("*.py")) for o in _offences(path)]
    assert offences == []
