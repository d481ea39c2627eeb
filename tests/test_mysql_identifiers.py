"""MariaDB identifiers holding backticks and quotes: SQLAlchemy's reflection leaves a backtick
inside a name doubled and skips an FK whose name holds one; the clone kept every name as the
source spells it, and `diff` is clean. Before, the FK was lost and the load failed on the
CHECK ("Unknown column 'p`id'"), or diff reported an FK name with its backticks doubled."""

from __future__ import annotations

from dbclone.api import clone
from dbclone.connect import engine_for
from dbclone.diff import diff_schemas
from dbclone.introspect import introspect
from tests.helpers import orphans

_DDL = [
    "CREATE TABLE `a``b\"c'd` (`i``d` INT PRIMARY KEY, `x\"y` VARCHAR(10) NOT NULL, "
    "UNIQUE KEY `u``k` (`x\"y`))",
    "CREATE TABLE `ch``i` (id INT PRIMARY KEY, `p``id` INT NOT NULL, "
    "CONSTRAINT `f``k\"q'z` FOREIGN KEY (`p``id`) REFERENCES `a``b\"c'd` (`i``d`) "
    "ON DELETE CASCADE, CONSTRAINT `ck``1` CHECK (`p``id` > 0))",
    "CREATE INDEX `ix``q` ON `ch``i` (`p``id`)",
    "CREATE TABLE `fk``only` (id INT PRIMARY KEY, ref INT, "
    "CONSTRAINT `back``tick` FOREIGN KEY (ref) REFERENCES `ch``i` (id))",
]


def test_backticks_and_quotes_in_names_clone_and_diff_clean(new_db) -> None:
    source = new_db("mysql")
    with engine_for(source).begin() as conn:
        for stmt in _DDL:
            conn.exec_driver_sql(stmt)
        conn.exec_driver_sql("INSERT INTO `a``b\"c'd` SELECT seq, CONCAT('v', seq) "
                             "FROM seq_1_to_30")
        conn.exec_driver_sql("INSERT INTO `ch``i` SELECT seq, 1 + MOD(seq, 30) FROM seq_1_to_90")
        conn.exec_driver_sql("INSERT INTO `fk``only` SELECT seq, seq FROM seq_1_to_20")
    src = introspect(engine_for(source))
    child = src.table("ch`i")
    assert child.column_names == ("id", "p`id")
    assert [(f.name, f.columns, f.ref_table, f.ref_columns, f.on_delete)
            for f in child.foreign_keys] == [("f`k\"q'z", ("p`id",), "a`b\"c'd", ("i`d",),
                                              "CASCADE")]
    assert [c.name for c in child.checks] == ["ck`1"]
    assert [f.name for f in src.table("fk`only").foreign_keys] == ["back`tick"]
    target = new_db("mysql")
    clone(source, target, seed=2)
    dst = introspect(engine_for(target))
    assert diff_schemas(src, dst) == []
    assert set(orphans(target).values()) == {0}
    assert dst.table("ch`i").row_count == 90
