"""Batch colorization of archives: folders and manifests, resumable segments, local or Ray execution."""

from videocolor.batch.inputs import BatchItem, expand_inputs, read_manifest
from videocolor.batch.plan import SegmentOptions
from videocolor.batch.runner import BatchReport, ItemOutcome, format_table, run_batch

__all__ = [
    "BatchItem",
    "BatchReport",
    "ItemOutcome",
    "SegmentOptions",
    "expand_inputs",
    "format_table",
    "read_manifest",
    "run_batch",
]
