"""Detection keeps the rows of one owner in one fold: rows repeating their parent's data are
judged for realism, not for whether the classifier met that real parent in training."""

from __future__ import annotations

import numpy as np

from dbclone.report.detection import detect


def _rows(rng: np.random.Generator, owners: int, per: int, shift: float = 0.0):
    """Each owner has its own signature (three numbers, like an address's lengths) repeated
    on its rows, plus a per-row number; signatures come from the same distribution."""
    signature = rng.normal(size=(owners, 3))
    who = np.repeat(np.arange(owners), per)
    x = np.column_stack([signature[who], rng.normal(size=len(who)) + shift])
    return x, who


def test_owners_in_one_fold_stop_memorising_parents() -> None:
    rng = np.random.default_rng(1)
    real, who_r = _rows(rng, 40, 7)
    fake, who_s = _rows(rng, 40, 7)
    memorised = detect("t", real, fake, seed=0)
    grouped = detect("t", real, fake, seed=0, owners=(who_r, who_s))
    assert memorised.accuracy > 0.8  # the real owners' signatures are recognised
    assert abs(grouped.accuracy - 0.5) < 0.12


def test_owners_in_one_fold_still_see_a_real_difference() -> None:
    rng = np.random.default_rng(2)
    real, who_r = _rows(rng, 40, 7)
    fake, who_s = _rows(rng, 40, 7, shift=3.0)
    grouped = detect("t", real, fake, seed=0, owners=(who_r, who_s))
    assert grouped.accuracy > 0.8
