"""What text means and what ties a row together, as plain functions the synthesizer calls.

- `reference`: public reference lists (ISO countries, currencies, languages, regions;
  geonames cities; Faker colours and emoji), built once per process.
- `recognise`: which kind of non-personal text a column holds (values first, then name
  tokens in English and Swedish, read with the table's name).
- `generate`: values of a recognised kind from those lists, never the source's.
- `ngram`: a token chain of a column where no list fits (titles, product names, prose),
  under the k-owner privacy floor, its rare words made up by `wordgen`; its fitted state
  is JSON statistics.
- `prefixes`: the beginnings of phones, postcodes and IP addresses k owners share (whole
  values included), completed without landing on a rare real value; per value of the
  column that decides them (a town its postcodes' district).
- `closeness`: how close generated text reads to a column (character n-gram profiles), to
  choose between a public generator and the column's own chain.
- `consistency`: functional-dependency strength between columns; first name, gender and
  personnummer rules.
- `columns`: a text column's `TextModel` (kind and public pool, or token chain), fitted
  and sampled; `rows`: `RowRule`s found in a table's rows and applied to generated rows.
- `relations`: exact arithmetic, counters, bounded date offsets, flags decided by one column,
  and the granularity of numbers and times.
"""
