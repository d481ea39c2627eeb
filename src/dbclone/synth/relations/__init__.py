"""Relations between columns and between tables: each module finds its relation at fit time
and applies it at generation time (see the map in `dbclone.synth`)."""
