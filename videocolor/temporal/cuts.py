"""Hard scene-cut detection on luma alone (the colorization cannot disturb it)."""

from __future__ import annotations

import numpy as np

__all__ = ["SceneCutDetector", "luma_histogram", "histogram_distance"]


def luma_histogram(luma: np.ndarray, bins: int = 32, offset: float = 0.5) -> np.ndarray:
    """Normalised histogram of ``luma - offset`` over [-0.5, 0.5] (the default offset covers a luma plane in
    [0, 1]), linearly interpolated between bin centres: a flat area near a bin edge does not jump between
    bins at every small change of level."""
    pos = np.clip((luma - offset + 0.5) * bins - 0.5, 0.0, bins - 1.0).ravel()
    lo = np.minimum(pos.astype(np.int32), bins - 2)
    frac = pos - lo
    hist = np.bincount(lo, 1.0 - frac, bins) + np.bincount(lo + 1, frac, bins)
    return hist / pos.size


def histogram_distance(p: np.ndarray, q: np.ndarray) -> float:
    """Total variation distance: 0 for equal histograms, 1 for disjoint ones."""
    return 0.5 * float(np.abs(p - q).sum())


class SceneCutDetector:
    """Flags a frame as the first of a new shot when its luma histogram jumps from the previous frame's.

    Two tests, one threshold t: the histograms of luma less its mean differ by more than t (the shape of
    the picture changed), or the mean moves by more than t / 2. A fade or the exposure flicker of old
    film moves the mean a little each frame and leaves the shape, so it is not a cut (the smoother's luma
    test still weighs the change). A histogram (not a pixel difference) ignores motion inside a shot;
    cuts between shots with similar histograms are left to the smoother's confidence test, which sees
    that the motion does not fit.
    """

    def __init__(self, threshold: float = 0.4, bins: int = 32) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"cut threshold must be in (0, 1], got {threshold}")
        self.threshold = threshold
        self.bins = bins
        self._prev: tuple[np.ndarray, float] | None = None
        self.score = 0.0

    def update(self, luma: np.ndarray) -> bool:
        """Feed the next frame's luma; True if it starts a new shot (never for the first frame)."""
        mean = float(luma.mean())
        hist = luma_histogram(luma, self.bins, offset=mean)
        if self._prev is None:
            self.score = 0.0
        else:
            shape = histogram_distance(self._prev[0], hist)
            self.score = max(shape, 2.0 * abs(mean - self._prev[1]))
        self._prev = hist, mean
        return self.score > self.threshold
