"""Temporal chroma smoothing and scene cuts (stateful; never decodes)."""

from videocolor.temporal.cuts import SceneCutDetector
from videocolor.temporal.smoother import ChromaSmoother, SmoothingConfig, SmoothItem

__all__ = ["ChromaSmoother", "SceneCutDetector", "SmoothItem", "SmoothingConfig"]
