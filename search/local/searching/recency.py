"""Recency in relevance ordering: the score multiplied by a decay on publication date,
as Elasticsearch's function_score `exp` decay with `decay: 0.5` at `scale` = the
half-life and no offset: a document one half-life older than another counts half as
much for the same text score.

Elasticsearch measures age from `now`; here it is measured from the newest candidate,
which multiplies every score by the same constant, so the order is the same, while the
scores stay readable (the newest candidate keeps its own) and do not underflow to 0 when
an archive is years older than now. Undated documents count as the oldest candidate.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from search.local.store.column_files import NO_DATE


def decay(
    published: npt.NDArray[np.int64], candidates: npt.NDArray[np.int64], half_life: int
) -> npt.NDArray[np.float32]:
    """Return 0.5 ** (age / half_life) for each of `candidates` (document numbers), age
    in minutes before the newest candidate (`published`: minute stamps, NO_DATE for
    none)."""
    stamps = published[candidates]
    dated = stamps != NO_DATE
    if not dated.any():
        return np.ones(len(candidates), np.float32)
    newest, oldest = int(stamps[dated].max()), int(stamps[dated].min())
    ages = newest - np.where(dated, stamps, oldest)
    return np.power(0.5, ages / half_life).astype(np.float32)
