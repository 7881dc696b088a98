"""Sentence embeddings of each document's title and excerpt, for semantic and hybrid search.

A generation built with embeddings holds `vectors.npy`: one L2-normalised float16 row
per document number (zeros for a deleted document), memory-mapped by every worker.
Embedding costs about 10 ms a document on one core, so vectors are cached across
builds in `<index>/embeddings/` under a hash of the model and the embedded text: a
rebuild or an incremental build embeds only new or changed documents.

Searching compares a query's vector with every document's by the sign bits first (48
bytes a document, a popcount each), then exactly on the best EXACT_POOL of them, the
way binary quantisation with rescoring works in vector databases.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from tqdm import tqdm

VECTORS = "vectors.npy"
CACHE = "embeddings"  # folder beside the generations: survives rebuilds
EXACT_POOL = 1_000  # candidates by sign bits, then compared exactly
DIMENSIONS = 384  # all-MiniLM-L6-v2
F32 = npt.NDArray[np.float32]


def embedded_text(title: str, excerpt: str) -> str:
    """Return the text a document is embedded from (the model reads 256 word pieces)."""
    return f"{title}. {excerpt}".strip() if excerpt else title


class EmbeddingCache:
    """Vectors by hash of (model, text), kept in one folder across builds."""

    def __init__(self, folder: Path, model_id: str) -> None:
        self.folder = folder
        self.model_id = model_id
        self._vectors: dict[str, npt.NDArray[np.float16]] = {}
        keys_file, array_file = folder / "keys.json", folder / "vectors.npy"
        if keys_file.exists() and array_file.exists():
            try:
                keys = json.loads(keys_file.read_text(encoding="utf-8"))
                array = np.load(array_file)
                if keys.get("model") == model_id and len(keys["keys"]) == len(array):
                    self._vectors = dict(zip(keys["keys"], array, strict=True))
            except (OSError, ValueError, KeyError):
                self._vectors = {}  # a damaged cache only costs time: embed again

    def key(self, text: str) -> str:
        """Return the cache key of `text` under this model."""
        return hashlib.blake2b(f"{self.model_id}\n{text}".encode(), digest_size=16).hexdigest()

    def vectors(
        self,
        texts: Sequence[str],
        embed: Callable[[list[str]], F32],
        progress: Callable[[int], object] = lambda done: None,
    ) -> tuple[npt.NDArray[np.float16], int]:
        """Return the vectors of `texts` (float16 rows) and how many were not in the cache
        (a text twice in one build counts twice);
        the cache then holds exactly these texts (others are dropped)."""
        keys = [self.key(t) for t in texts]
        reused = sum(k in self._vectors for k in keys)
        unknown = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._vectors}
        missing = sorted(unknown.items())
        step = 64
        for start in range(0, len(missing), step):
            part = missing[start : start + step]
            found = embed([t for _, t in part]).astype(np.float16)
            for (k, _), vector in zip(part, found, strict=True):
                self._vectors[k] = vector
            progress(len(part))
        self._vectors = {k: self._vectors[k] for k in dict.fromkeys(keys)}
        if not keys:
            return np.zeros((0, DIMENSIONS), np.float16), 0
        rows = np.stack([self._vectors[k] for k in keys]).astype(np.float16)
        return rows, len(keys) - reused

    def save(self) -> None:
        """Write the cache (atomically enough: a torn cache is detected and ignored)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        keys = list(self._vectors)
        values = list(self._vectors.values())
        array = np.stack(values) if values else np.zeros((0, DIMENSIONS), np.float16)
        np.save(self.folder / "vectors.npy", array)
        (self.folder / "keys.json").write_text(
            json.dumps({"model": self.model_id, "keys": keys}), encoding="utf-8"
        )


def write_vectors(
    folder: Path, rows: npt.NDArray[np.float16], alive: npt.NDArray[np.bool_]
) -> None:
    """Save the generation's vectors (deleted documents' rows zeroed)."""
    rows = rows.copy()
    rows[~alive] = 0
    np.save(folder / VECTORS, rows)


@dataclass
class Vectors:
    """A generation's vectors, memory-mapped, with their sign bits for a fast first pass."""

    rows: npt.NDArray[np.float16]
    signs: npt.NDArray[np.uint64]  # (words, documents): each word of the bits contiguous

    @classmethod
    def load(cls, folder: Path) -> Vectors | None:
        """Return the vectors of a generation, or None if it was built without them."""
        path = folder / VECTORS
        if not path.exists():
            return None
        rows = np.load(path, mmap_mode="r")
        return cls(rows, np.ascontiguousarray(_signs(rows).T))

    def nearest(
        self, query: F32, within: npt.NDArray[np.bool_], k: int
    ) -> tuple[npt.NDArray[np.int64], F32]:
        """Return the `k` documents of `within` most similar to `query` (a normalised
        vector), best first, and their cosine similarities."""
        candidates = np.flatnonzero(within)
        if not len(candidates):
            return candidates, np.zeros(0, np.float32)
        if len(candidates) > EXACT_POOL:
            # Differing sign bits over every row at once (no gather), the excluded ones
            # pushed to the end; then the pool is compared exactly.
            query_signs = _signs(query[None, :].astype(np.float16))[0]
            differ = np.zeros(len(within), np.uint16)
            for word, bits in zip(query_signs.tolist(), self.signs, strict=True):
                differ += np.bitwise_count(bits ^ np.uint64(word))  # one contiguous word
            differ[~within] = np.iinfo(np.uint16).max
            # The smallest distance that takes EXACT_POOL rows (ties included), by counting
            # distances: cheaper than a partial sort.
            at_most = np.cumsum(np.bincount(differ))
            cutoff = int(np.searchsorted(at_most, EXACT_POOL))
            pool = np.flatnonzero(differ <= cutoff)
            candidates = pool[within[pool]]
        similar = self.rows[candidates].astype(np.float32) @ query
        order = np.lexsort((candidates, -similar))[:k]
        return candidates[order], similar[order].astype(np.float32)


def _signs(rows: npt.NDArray[np.float16]) -> npt.NDArray[np.uint64]:
    """Return each row's sign bits packed into 64-bit words."""
    bits = np.packbits(np.asarray(rows) > 0, axis=1)
    words = (bits.shape[1] + 7) // 8
    padded = np.zeros((bits.shape[0], words * 8), np.uint8)
    padded[:, : bits.shape[1]] = bits
    return padded.view(np.uint64)


def embed_generation(
    index_dir: Path, folder: Path, texts: list[str | None], progress: bool | None
) -> str:
    """Embed the documents' texts (reusing the cache) into the generation; return a note
    saying how many were embedded."""
    from search.local.embedder import Embedder  # only builds with embeddings load the model

    embedder = Embedder.load()
    cache = EmbeddingCache(index_dir / CACHE, embedder.model_id)
    alive = np.array([t is not None for t in texts], dtype=np.bool_)
    wanted = [t for t in texts if t is not None]  # a deleted document needs no vector
    show = progress if progress is not None else sys.stderr.isatty()
    with tqdm(total=len(wanted), desc="embedding", unit="doc", disable=not show) as bar:
        found, embedded = cache.vectors(wanted, embedder.embed, bar.update)
    rows = np.zeros((len(texts), found.shape[1]), np.float16)
    rows[alive] = found
    write_vectors(folder, rows, alive)
    cache.save()
    return f"embeddings: {embedded} documents embedded, {len(wanted) - embedded} from the cache"
