"""Column synthesizers: how one column is fitted and generated, one module per kind of rule.

`registry` joins them in two dispatch tables: `FITTERS` by column kind, `GENERATORS` by the
spec's strategy. The rule modules: `numeric`, `categorical`, `text`, `meaning` (text of a
recognised kind, names of things), `shaped` (codes and formats), `personal` (personal
data), `keys`, `softkey` (ids without a declared FK), `other` (arrays, bytes, UUIDs, JSON,
types not modelled); `strings` routes a text column to its rule at fit time.
"""
