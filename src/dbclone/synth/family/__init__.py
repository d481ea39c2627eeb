"""Family structure: how many children each parent has, which parent each child gets,
self-references and FK cycles (see the map in `dbclone.synth`)."""
