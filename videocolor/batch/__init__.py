"""Batch colorization of archives: folders and manifests, resumable segments, local or Ray execution."""

from __future__ import annotations

import importlib
from typing import Any

# Lazy (PEP 562): the CLI reads `batch.inputs` to build its parser; torch and PyAV load only for a run.
_HOME = {
    "BatchItem": "inputs",
    "expand_inputs": "inputs",
    "read_manifest": "inputs",
    "SegmentOptions": "plan",
    "BatchReport": "runner",
    "ItemOutcome": "runner",
    "format_table": "runner",
    "run_batch": "runner",
}
__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(f"videocolor.batch.{_HOME[name]}"), name)
    raise AttributeError(f"module 'videocolor.batch' has no attribute {name!r}")
