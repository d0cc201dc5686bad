"""Hard scene-cut detection on luma alone (the colorization cannot disturb it)."""

from __future__ import annotations

import numpy as np

__all__ = ["SceneCutDetector", "luma_histogram", "histogram_distance"]


def luma_histogram(luma: np.ndarray, bins: int = 32) -> np.ndarray:
    """Normalised histogram of a float luma plane in [0, 1]."""
    idx = np.clip((luma * bins).astype(np.int32), 0, bins - 1)
    return np.bincount(idx.ravel(), minlength=bins) / idx.size


def histogram_distance(p: np.ndarray, q: np.ndarray) -> float:
    """Total variation distance: 0 for equal histograms, 1 for disjoint ones."""
    return 0.5 * float(np.abs(p - q).sum())


class SceneCutDetector:
    """Flags a frame as the first of a new shot when its luma histogram jumps from the previous frame's.

    A histogram (not a pixel difference) ignores motion inside a shot; cuts between shots with similar
    histograms are left to the smoother's confidence test, which sees that the motion does not fit.
    """

    def __init__(self, threshold: float = 0.4, bins: int = 32) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"cut threshold must be in (0, 1], got {threshold}")
        self.threshold = threshold
        self.bins = bins
        self._prev: np.ndarray | None = None
        self.score = 0.0

    def update(self, luma: np.ndarray) -> bool:
        """Feed the next frame's luma; True if it starts a new shot (never for the first frame)."""
        hist = luma_histogram(luma, self.bins)
        self.score = 0.0 if self._prev is None else histogram_distance(self._prev, hist)
        self._prev = hist
        return self.score > self.threshold
