"""Stage 6: compare a source and a clone (integrity, fidelity, privacy)."""
