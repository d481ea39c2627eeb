"""Column synthesizers: how one column is fitted and generated, one class per rule
(`base.ColumnSynthesizer`: its `fit` and its `generate`), each in the module of its rule.

`registry` joins them in two dispatch tables built from what each class declares: `FITTERS`
by column kind, `GENERATORS` by spec type (strategy). The rule modules: `numeric`,
`categorical`, `text`, `meaning` (text of a recognised kind, names of things), `shaped`
(codes and formats), `personal` (personal data), `keys`, `softkey` (ids without a declared
FK), `other` (arrays, bytes, UUIDs, JSON, types not modelled, columns filled elsewhere),
`typed` (types by their family in `synth.types`); `strings` routes a text column to its
rule at fit time.
"""
