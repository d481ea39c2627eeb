"""The synthesizer: learn a model of a source database and generate a clone from it.

Each rule lives in one module that holds both of its halves: how it is detected and fitted
(reading the source's frames, writing the model) and how it generates (reading the model,
writing the clone's columns). `fit` and `sample` only orchestrate them; `sample` imports
nothing from the fitting half. The map:

Orchestration and state
    fit                 fit(): per table, the order in which the rules fit: CLAIMS (relations
                        that claim a column first, by priority), then each column's own
                        rule, then STEPS (rules over the whole table, in order)
    sample              Sampler: per table and chunk, the order in which the rules generate;
                        FINISHERS (relations finishing a drawn column, by priority)
    context             FitOptions, FitContext: what the fitting rules share; Claim, Step,
                        TableFit: how a relation plugs into the fit
    state               SampleState (the run), Chunk (one chunk's scratch), Run, Generated;
                        Finish: how a relation plugs into the sampler
    tables              TableData, DeferredUpdate: what the sampler hands the loader
    model               the model file: ColumnModel, FKModel, TableModel, Model, save/load
    specs               typed column specs, one per strategy; the file's format version 2
    dims                names of latent dimensions and bases (own, parent's, children's)

Column synthesizers (columns/): one class per rule (columns.base.ColumnSynthesizer, its
fit and its generate), in its rule's module; columns.registry dispatches by column kind
(fit) and by spec type (generate)
    columns.numeric     numbers, dates, times by quantiles (and their granularity)
    columns.categorical categories and their frequencies (rare values via `privacy`)
    columns.text        free text from the source's vocabulary; text lengths
    columns.meaning     text of a recognised kind (cities, country codes, job titles) from
                        public lists, names of things and prose from a token chain (`semantic`)
    columns.shaped      codes and formats: value shapes, regex patterns, resized formats
    columns.personal    personal data replaced by Faker's (emails from the row's names,
                        personnummer from its birth date; street addresses in the languages
                        of the rows' countries or from the column's own words; phones,
                        postcodes and IP addresses keeping what k owners share)
    columns.keys        generated primary keys
    columns.softkey     ids of rows elsewhere without a declared FK
    columns.other       arrays, bytes, UUIDs, JSON (with columns.jsongen), unmodelled types
    columns.typed       types without a copula kind, by their family in `types` (geometric,
                        network, bit strings, ranges, money, xml, hstore, ltree, text
                        search, MariaDB spatial, SQLite mixed storage classes)
    columns.strings     which rule a text column follows (fit only)

Relations between columns and tables (relations/)
    relations.dates     a date after (or near) a base of the row or the parent
    relations.ratios    a number proportional to another of the row
    relations.shares    a number following the parent's number (a share of it, or split
                        among the parent's children)
    relations.copies    a column copying the parent's
    relations.joint     joint categories of strongly associated columns
    relations.grouped   numbers and children counts drawn per category of the row
    relations.order     the order of categories along the number they explain
    relations.derived   a parent's column that aggregates its children (totals, sums of a
                        child number with rates added or taken off)
    relations.flagsets  a parent's category decided by the set of its children's (all
                        'F', all 'O', or mixed)
    relations.ancestors numbers of a parent or grandparent as operands of a row's exact
                        relations (a quantity times the part's price, through its offer)
    relations.lookups   an FK into a copied lookup table as a category of the row
    relations.rows      rules within a row (`semantic.rows`): gender, first name and
                        personnummer agree; a place lies in its row's country; a phone's or
                        postcode's beginning follows the column that decides it; exact
                        products, sums, sibling counters, flags decided by one column
                        (the numbers they recompute claimed first: no ratio's base)

Family structure (family/)
    family.counts       children per parent, the driving parent, calibration to the size
    family.parents      assigning parents: the driver's keys, dealt stocks, distinct
                        parents for composite keys
    family.forest       self-references as a forest of levels
    family.cycles       FKs closing a cycle: filled later or by UPDATE; orphans dropped

Across rules
    latent              the copula's scores: conditioned on the parent, siblings alike
    copula              Gaussian-copula arithmetic (marginals <-> normal scores)
    codecs              value codecs: source values <-> numbers <-> Python values
    privacy             the k-owners rule and rare categories' stand-ins
    unique              PK / UNIQUE sets made unique (across chunks)
    constraints         CHECK constraints parsed and evaluated (three-valued logic)
    repair              rows a CHECK rejects repaired, or dropped
    strgen              strings matching a regex, GLOB or LIKE pattern
    pii                 personal-data detection and the Faker generator
    spill               what a generated table keeps for its children, on disk

Where to change what
    "a date after its parent's date"        relations.dates
    "how rare categories are replaced"      privacy (who counts, stand-ins), used by
                                            columns.categorical
    "how children per parent are drawn"     family.counts (and relations.grouped for
                                            counts per category)
    "a new column type"                     a ColumnSynthesizer class in columns/ declaring
                                            its kinds and spec types, listed in
                                            columns.registry.SYNTHESIZERS
"""
