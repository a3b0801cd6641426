"""Engine format version and the fingerprint of the code that builds engines.

An engine directory is only valid for the code that exported it ("version of weights = version
of code"): its manifest records ``ENGINE_FORMAT`` and ``exporter_fingerprint()`` at export time,
and the runtime refuses a manifest whose values differ from its own.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

ENGINE_FORMAT = 4  # 2: stateful codec decoder; 3: one talker step graph per frame (code predictor and sampling inside); 4: batch rows (per-row step, sampling, active, query_seqlens; codec offset per row)
_EXPORT_DIR = Path(__file__).resolve().parent.parent / "export"


@functools.cache
def exporter_fingerprint() -> str:
    """sha256 over the sources that decide graph contents (builder, config, quantizer, graphs), first 16 hex."""
    h = hashlib.sha256()
    root = _EXPORT_DIR.parent
    files = [_EXPORT_DIR / "onnx_graph.py", root / "runtime" / "model_config.py", _EXPORT_DIR / "quantize.py", _EXPORT_DIR / "half.py", *sorted((_EXPORT_DIR / "graphs").glob("*.py"))]
    for f in files:
        h.update(f.relative_to(root).as_posix().encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]
