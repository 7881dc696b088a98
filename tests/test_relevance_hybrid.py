"""The hybrid tuning harness (benchmarks.relevance_hybrid): its knobs are the module's,
set only inside `applied` and restored after, and it starts from hybrid's old values."""

from __future__ import annotations

import pytest

from benchmarks.relevance_hybrid import BEFORE, HYBRID_GRID, applied, current
from search.local.searching import semantic


def test_every_knob_is_a_module_value_with_its_old_value_in_the_grid() -> None:
    assert list(BEFORE) == list(HYBRID_GRID)
    assert all(BEFORE[name] in values for name, values in HYBRID_GRID.items())
    assert all(hasattr(semantic, name) for name in HYBRID_GRID)


def test_applied_sets_the_knobs_and_restores_them() -> None:
    product = current()
    with applied({"FEEDBACK": 0.25, "TIER_WORDS": 3}):
        assert (semantic.FEEDBACK, semantic.TIER_WORDS) == (0.25, 3)
        assert isinstance(semantic.TIER_WORDS, int)
    assert current() == product
    with pytest.raises(ValueError, match="unknown knob 'K1'"), applied({"K1": 1.2}):
        pass
    assert current() == product


def test_the_module_holds_the_values_the_tuning_chose() -> None:
    # docs/bench-hybrid-tuning.txt, "chosen": a knob changed without re-running
    # `python -m benchmarks.relevance_hybrid` fails here
    assert current() == {
        "TIER_WORDS": 1,
        "FEEDBACK": 1.0,
        "WEIGHT_UNMATCHED": 30.0,
        "WEIGHT_MATCHED": 1.5,
        "WEIGHT_LONG": 1.0,
        "LONG_WORDS": 8,
        "RRF_K": 60,
        "MIN_SIMILARITY": 0.3,
        "WORD_FEEDBACK": 2.0,
        "WORD_FEEDBACK_WORDS": 3,
    }
