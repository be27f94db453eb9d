"""vna-ner: a French NER and relation dataset over Vietnam News Agency news, and its benchmark.

The public API, each imported on first use so that ``import vna_ner`` stays instant:

- :func:`load` — the dataset (or any built folder) as ``datasets`` splits;
- :func:`read_predictions` — a system's predictions for a split, put on the gold tokens;
- :func:`evaluate` — seqeval scores of those predictions, as ``vna-ner eval`` prints them;
- :func:`seqeval_metrics` — the same scores as a ``compute_metrics`` for ``transformers.Trainer``.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # not typing's: importing typing would double the cost of `import vna_ner`
if TYPE_CHECKING:
    from typing import Any

    from vna_ner.benchmark.evaluate import evaluate
    from vna_ner.benchmark.metrics import seqeval_metrics
    from vna_ner.benchmark.predictions import read_predictions
    from vna_ner.dataset.load import load

_API = {
    "load": "vna_ner.dataset.load",
    "read_predictions": "vna_ner.benchmark.predictions",
    "evaluate": "vna_ner.benchmark.evaluate",
    "seqeval_metrics": "vna_ner.benchmark.metrics",
}
__all__ = ["evaluate", "load", "read_predictions", "seqeval_metrics"]


def __getattr__(name: str) -> Any:
    """Import a public function's module the first time the function is asked for."""
    if name not in _API:
        raise AttributeError(f"module 'vna_ner' has no attribute {name!r}")
    value = getattr(importlib.import_module(_API[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
