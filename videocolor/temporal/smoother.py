"""Temporal chroma smoothing: motion-compensated recursive filtering of the predicted chroma.

Per frame (``flow`` mode): optical flow between this frame's and the previous frame's gray luma (DIS, at
reduced resolution) warps the previous *smoothed* chroma onto this frame; a per-pixel confidence, low where
the forward and backward flows disagree (occlusions) or the warped luma does not match (new objects,
lighting), sets how much of it is blended into the current prediction. Only the correction (blend minus
prediction, a low-resolution and smooth signal) is upsampled and added to the full-resolution prediction,
so the prediction's detail stays. The state resets at scene cuts (luma histograms) and where the
confidence collapses. ``ema`` is the same filter with zero motion. Luma is never touched.

The backward pass (on by default; off where frames must leave as they arrive) runs the same filter backwards
in time over the predictions, window by window (``window`` frames at most in memory, flushed at every cut),
and joins it to the forward result, which removes the causal lag.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from videocolor.temporal.cuts import SceneCutDetector
from videocolor.temporal.flow import FlowPreset, consistency_error, dis_flow, resize, to_uint8, warp

__all__ = ["ChromaSmoother", "SmoothItem", "SmoothingConfig"]

Mode = Literal["none", "ema", "flow"]


@dataclass(frozen=True)
class SmoothingConfig:
    """Temporal chroma smoothing. ``strength`` is the weight of the motion-compensated history where the
    confidence is full (0 = off; 0.95 averages over about 39 frames of a static scene). The defaults (0.95,
    the backward pass over 64 frames) were chosen on colour footage outside the evaluation sets: lowest CDC
    there (scripts/validate_smoothing.sh)."""

    mode: Mode = "flow"
    strength: float = 0.95
    backward_pass: bool = True
    window: int = 64  # frames held by the backward pass (at 1080p 4:2:0 each holds ~8 MB of planes)
    flow_max_side: int = 160  # flow and blending run at this size (longest side, pixels) or below
    flow_preset: FlowPreset = "ultrafast"
    luma_sigma: float = 0.05  # warped-luma mismatch (0..1) at which confidence falls to 1/e
    reset_confidence: float = 0.2  # mean confidence below which the history is dropped
    cut_threshold: float = 0.4  # luma histogram distance (0..1) that marks a scene cut

    def __post_init__(self) -> None:
        if self.mode not in ("none", "ema", "flow"):
            raise ValueError(f"smoothing mode must be none, ema or flow, got {self.mode!r}")
        if not 0.0 <= self.strength < 1.0:
            raise ValueError(f"smoothing strength must be in [0, 1), got {self.strength}")
        if self.flow_preset not in ("ultrafast", "fast", "medium"):
            raise ValueError(f"flow_preset must be ultrafast, fast or medium, got {self.flow_preset!r}")
        if self.window < 2 or self.flow_max_side < 16 or self.luma_sigma <= 0.0:
            raise ValueError("window must be >= 2, flow_max_side >= 16 and luma_sigma > 0")
        if not 0.0 <= self.reset_confidence < 1.0 or not 0.0 < self.cut_threshold <= 1.0:
            raise ValueError("reset_confidence must be in [0, 1) and cut_threshold in (0, 1]")


@dataclass
class SmoothItem:
    """One frame: ``luma`` (h, w) float32 in [0, 1] and ``chroma`` (2, h, w) float32 (Cb, Cr) at the
    chroma-plane size. The smoother replaces ``chroma`` and adds ``info["smoothing"]``."""

    index: int
    luma: np.ndarray
    chroma: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Frame:
    """A frame's small-resolution state, kept for the backward pass."""

    item: SmoothItem
    luma: np.ndarray  # (hs, ws) float32
    luma8: np.ndarray  # (hs, ws) uint8, what DIS sees
    pred: np.ndarray  # (hs, ws, 2) prediction
    smooth: np.ndarray  # (hs, ws, 2) filtered chroma
    starts_shot: bool
    weight: np.ndarray | float = 1.0  # (hs, ws) frames' worth of history in ``smooth``
    to_prev: np.ndarray | None = None  # flow from this frame to the previous one
    from_prev: np.ndarray | None = None  # flow from the previous frame to this one


def _small_size(h: int, w: int, max_side: int) -> tuple[int, int]:
    scale = min(1.0, max_side / max(h, w))
    return max(1, round(h * scale)), max(1, round(w * scale))


class ChromaSmoother:
    """``process(items)`` yields the same items, in order, with smoothed chroma; see the module docstring."""

    def __init__(self, config: SmoothingConfig | None = None) -> None:
        self.config = config or SmoothingConfig()

    def process(self, items: Iterable[SmoothItem]) -> Iterator[SmoothItem]:
        if self.config.mode == "none" or self.config.strength == 0.0:
            yield from items
            return
        frames = self._forward(items)
        if not self.config.backward_pass:
            for fr in frames:
                yield self._emit(fr, fr.smooth)
            return
        window: list[_Frame] = []
        for fr in frames:
            if window and (fr.starts_shot or len(window) == self.config.window):
                yield from self._backward(window)
                window = []
            window.append(fr)
        if window:  # no frames at all (an empty time range)
            yield from self._backward(window)

    def _confidence(
        self, here: np.ndarray, there: np.ndarray, to_there: np.ndarray | None, back: np.ndarray | None
    ) -> np.ndarray:
        """Per-pixel confidence (0..1) that ``there``, moved by ``to_there``, shows what ``here`` shows."""
        if to_there is None or back is None:  # ema: no motion, so only the luma test
            return np.exp(-np.square((there - here) / self.config.luma_sigma))
        mismatch = warp(there, to_there) - here
        err, tol = consistency_error(to_there, back)
        return np.exp(-np.square(mismatch / self.config.luma_sigma) - err / tol)

    def _blend(
        self,
        current: np.ndarray,
        history: np.ndarray,
        weight: np.ndarray | float,
        flow: np.ndarray | None,
        conf: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Blend the history (worth ``weight`` frames) into ``current``; return the blend and its weight.

        The history counts strength x confidence x its weight against the current frame's 1: in a long
        static shot its share tends to ``strength`` (a plain recursive filter), while a shot's first frames
        are averaged equally instead of the first one lingering (that filter's start-up bias)."""
        warped = history if flow is None else warp(history, flow)
        if flow is not None and isinstance(weight, np.ndarray):
            weight = warp(weight, flow)
        held = self.config.strength * conf * weight
        return current + (held / (1.0 + held))[..., None] * (warped - current), 1.0 + held

    def _forward(self, items: Iterable[SmoothItem]) -> Iterator[_Frame]:
        cfg = self.config
        cuts = SceneCutDetector(cfg.cut_threshold)
        prev: _Frame | None = None
        for item in items:
            if item.chroma.ndim != 3 or item.chroma.shape[0] != 2 or item.chroma.shape[1:] != item.luma.shape:
                raise ValueError(f"chroma {item.chroma.shape} does not match luma {item.luma.shape}")
            size = _small_size(*item.luma.shape, cfg.flow_max_side)
            luma = resize(item.luma.astype(np.float32, copy=False), size)
            pred = np.stack([resize(c.astype(np.float32, copy=False), size) for c in item.chroma], axis=-1)
            fr = _Frame(item, luma, to_uint8(luma), pred, pred, starts_shot=True)
            cut = cuts.update(luma)
            confidence = 0.0
            if prev is not None and not cut and prev.luma.shape == luma.shape:
                if cfg.mode == "flow":
                    fr.to_prev = dis_flow(fr.luma8, prev.luma8, cfg.flow_preset)
                    fr.from_prev = dis_flow(prev.luma8, fr.luma8, cfg.flow_preset)
                conf = self._confidence(luma, prev.luma, fr.to_prev, fr.from_prev)
                confidence = float(conf.mean())
                if confidence >= cfg.reset_confidence:
                    fr.smooth, fr.weight = self._blend(pred, prev.smooth, prev.weight, fr.to_prev, conf)
                    fr.starts_shot = False
            item.info["smoothing"] = {"confidence": confidence, "cut": cut, "reset": fr.starts_shot}
            yield fr
            prev = fr

    def _backward(self, window: list[_Frame]) -> Iterator[SmoothItem]:
        """Run the filter backwards in time over the predictions and join it to the forward result: each
        side's weighted sum, less the frame's own prediction that both count (the window holds one shot at
        most). In a static shot this is a symmetric exponential window around every frame."""
        after, weight = window[-1].pred, 1.0
        out = [window[-1].smooth]  # nothing after a window's last frame (_emit skips an unfiltered one)
        for t in range(len(window) - 2, -1, -1):
            here, nxt = window[t], window[t + 1]
            conf = self._confidence(here.luma, nxt.luma, nxt.from_prev, nxt.to_prev)
            after, weight = self._blend(here.pred, after, weight, nxt.from_prev, conf)
            out.append(self._join(here, after, weight))
        for fr, smooth in zip(window, reversed(out), strict=True):
            yield self._emit(fr, smooth)

    @staticmethod
    def _join(fr: _Frame, after: np.ndarray, weight: np.ndarray | float) -> np.ndarray:
        w_before, w_after = np.asarray(fr.weight)[..., None], np.asarray(weight)[..., None]
        return (fr.smooth * w_before + after * w_after - fr.pred) / (w_before + w_after - 1.0)

    @staticmethod
    def _emit(fr: _Frame, smooth: np.ndarray) -> SmoothItem:
        """Add the upsampled correction to the full-resolution prediction (luma passes through)."""
        item = fr.item
        if smooth is fr.pred:
            return item
        # Plane by plane: a (2, h, w) <-> (h, w, 2) transpose at full size cost more than the filter itself.
        diff = smooth - fr.pred
        correction = np.stack([resize(np.ascontiguousarray(diff[..., c]), item.luma.shape) for c in (0, 1)])
        return replace(item, chroma=(item.chroma + correction).astype(np.float32, copy=False))
