"""The colorize stages over decoded frames, joined by bounded queues running in threads.

decode -> infer (batched generator, predicted chroma at the output chroma-plane size) -> smooth -> merge
(code values, luma untouched) -> the caller (encode). Each arrow is a `queue.Queue(maxsize)`; exceptions
travel downstream to the caller; closing the output stops every stage."""

from __future__ import annotations

import math
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import torch
import torch.nn.functional as F

from videocolor.color import (
    MATRICES,
    Range,
    analog_to_code,
    chroma_of,
    code_to_analog,
    fit_chroma_to_gamut,
    luma_to_model_input,
    model_output_to_rgb,
)
from videocolor.io import DecodedFrame, VideoLayout
from videocolor.temporal import ChromaSmoother, SmoothingConfig, SmoothItem
from videocolor.temporal.flow import resize

__all__ = [
    "PRECISION_DTYPES",
    "Colorizer",
    "OutputFrame",
    "colorize_frames",
    "ordered_map",
    "output_luma",
    "render_shape",
    "threaded",
]

T = TypeVar("T")
U = TypeVar("U")
_PAD_MULTIPLE = 32
# A precision's name and the autocast dtype it runs the model in (None: no autocast).
PRECISION_DTYPES: dict[str, torch.dtype | None] = {
    "fp32": None,
    "bf16": torch.bfloat16,
    "fp16": torch.float16,
}


@dataclass
class OutputFrame:
    """An encoded-to-be frame: Y, Cb, Cr code-value planes in the output layout, with the input's timing."""

    index: int
    pts: int
    duration: int
    planes: tuple[np.ndarray, np.ndarray, np.ndarray]
    info: dict[str, Any]


def render_shape(height: int, width: int, size: int, mode: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """((model input h, w), (valid h, w)) for a frame rendered at `size` (= render factor x 16).

    stretch: size x size, all valid. pad: the frame's aspect ratio at the same pixel count, padded up to
    a multiple of 32 (the valid part is cropped back after the model)."""
    if mode == "stretch":
        return (size, size), (size, size)
    scale = size / math.sqrt(height * width)
    vh, vw = max(1, round(height * scale)), max(1, round(width * scale))
    return (-(-vh // _PAD_MULTIPLE) * _PAD_MULTIPLE, -(-vw // _PAD_MULTIPLE) * _PAD_MULTIPLE), (vh, vw)


class Colorizer:
    """A generator plus how to run it: luma in, predicted chroma out (the only model-facing code)."""

    def __init__(
        self,
        model: torch.nn.Module,
        *,
        device: torch.device,
        render_size: int,
        render_mode: str = "stretch",
        batch_size: int = 4,
        autocast_dtype: torch.dtype | None = None,
        workers: int | None = None,
    ) -> None:
        self.model = model
        self.device = device
        self.render_size = render_size
        self.render_mode = render_mode
        self.batch_size = batch_size
        self.autocast_dtype = autocast_dtype
        # On the CPU two batches run side by side, each on half of torch's threads: on few cores that is
        # ~15 % faster than one batch on all threads (no barrier per op), and a stage that takes a core
        # for a moment stalls one batch instead of every op of the only one.
        self.workers = workers or (2 if device.type == "cpu" else 1)

    @property
    def precision(self) -> str:
        """The arithmetic the model runs in: fp32, bf16 or fp16."""
        return next(name for name, dtype in PRECISION_DTYPES.items() if dtype == self.autocast_dtype)

    def map(self, fn: Callable[[T], U], items: Iterable[T]) -> Iterator[U]:
        """`fn` over `items` (batches, photos) on this colorizer's workers, results in order."""
        threads = torch.get_num_threads()
        workers = min(self.workers, threads)  # never more threads than torch was given
        if workers == 1:
            yield from map(fn, items)
            return
        share = threads // workers
        try:
            yield from ordered_map(fn, items, workers, initializer=lambda: torch.set_num_threads(share))
        finally:
            torch.set_num_threads(threads)  # the default for threads started later, as before

    @torch.inference_mode()
    def predict(self, luma: torch.Tensor, size: tuple[int, int], matrix: str) -> torch.Tensor:
        """(N, 1, H, W) analog luma in [0, 1] -> (N, 2, h, w) float32 Cb/Cr at `size`, on the CPU."""
        (rh, rw), (vh, vw) = render_shape(luma.shape[-2], luma.shape[-1], self.render_size, self.render_mode)
        x = luma.to(self.device, non_blocking=True).clamp(0.0, 1.0)
        x = F.interpolate(x, size=(vh, vw), mode="bilinear", align_corners=False, antialias=True)
        if (rh, rw) != (vh, vw):
            x = F.pad(x, (0, rw - vw, 0, rh - vh), mode="replicate")
        x = luma_to_model_input(x).contiguous(memory_format=torch.channels_last)
        with torch.autocast(
            self.device.type, dtype=self.autocast_dtype, enabled=self.autocast_dtype is not None
        ):
            out = self.model(x)
        rgb = model_output_to_rgb(out.float().contiguous())[..., :vh, :vw]  # channels_last resizes 3x slower
        chroma = chroma_of(rgb, MATRICES[matrix])
        chroma = F.interpolate(chroma, size=size, mode="bilinear", align_corners=False)
        return chroma.cpu()


_DONE = object()


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def threaded(items: Iterable[T], maxsize: int, name: str = "stage") -> Iterator[T]:
    """Iterate `items` in a background thread, handing results over a queue of `maxsize`.

    The producer's exception is re-raised here; closing this generator stops the producer."""
    q: queue.Queue[Any] = queue.Queue(maxsize)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        iterator = iter(items)
        try:
            for item in iterator:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:
            put(_Failure(exc))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=run, name=f"videocolor-{name}", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item
    finally:
        stop.set()
        thread.join()


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def ordered_map(
    fn: Callable[[T], U], items: Iterable[T], workers: int, initializer: Callable[[], object] | None = None
) -> Iterator[U]:
    """`map(fn, items)` on `workers` threads, results in order, at most `workers` items in flight; an
    exception of `fn` is raised here when its item's turn comes."""
    with ThreadPoolExecutor(workers, "videocolor-worker", initializer) as pool:
        pending: deque[Future[U]] = deque()
        try:
            for item in items:
                if len(pending) == workers:
                    yield pending.popleft().result()
                pending.append(pool.submit(fn, item))
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def _infer(
    frames: Iterable[DecodedFrame],
    colorizer: Colorizer,
    size: tuple[int, int],
    matrix: str,
    value_range: Range,
) -> Iterator[SmoothItem]:
    def run(batch: list[DecodedFrame]) -> list[SmoothItem]:
        codes = torch.from_numpy(np.stack([f.luma for f in batch])).unsqueeze(1)
        luma = code_to_analog(codes, bits=batch[0].bits, value_range=value_range)
        # OpenCV's area filter: 30x torch's on the CPU.
        small = torch.from_numpy(np.stack([resize(y, size) for y in luma[:, 0].numpy()])).unsqueeze(1)
        small.clamp_(0.0, 1.0)
        chroma = fit_chroma_to_gamut(small, colorizer.predict(luma, size, matrix), MATRICES[matrix]).numpy()
        return [
            SmoothItem(frame.index, small[i, 0].numpy(), chroma[i], {"frame": frame})
            for i, frame in enumerate(batch)
        ]

    for items in colorizer.map(run, _batches(frames, colorizer.batch_size)):
        yield from items


def output_luma(luma: np.ndarray, bits: int, value_range: Range, layout: VideoLayout) -> np.ndarray:
    """The input's luma codes in the output's layout: as they are where depth and range agree (the usual
    case), else the codes of the same analog luma (a 10-bit source into an 8-bit-only codec, full range
    into ProRes)."""
    if (bits, value_range) != (layout.bits, layout.color_range):
        analog = code_to_analog(torch.from_numpy(luma.astype(np.float32)), bits=bits, value_range=value_range)
        luma = analog_to_code(analog, bits=layout.bits, value_range=layout.color_range).numpy()
    return luma.astype(layout.dtype, copy=False)


def _merge(items: Iterable[SmoothItem], layout: VideoLayout, value_range: Range) -> Iterator[OutputFrame]:
    for item in items:
        frame: DecodedFrame = item.info.pop("frame")
        chroma = analog_to_code(
            torch.from_numpy(item.chroma), bits=layout.bits, value_range=layout.color_range, chroma=True
        )
        planes = (
            output_luma(frame.luma, frame.bits, value_range, layout),
            *chroma.numpy().astype(layout.dtype),
        )
        yield OutputFrame(frame.index, frame.pts, frame.duration, planes, item.info)  # type: ignore[arg-type]


def colorize_frames(
    frames: Iterable[DecodedFrame],
    colorizer: Colorizer,
    *,
    layout: VideoLayout,
    matrix: str,
    value_range: Range,
    smoothing: SmoothingConfig | None = None,
    queue_size: int = 8,
) -> Iterator[OutputFrame]:
    """Colorize decoded frames: one output frame per input frame, same order, same pts, luma untouched.

    `frames` may be any iterator (a whole file, a segment plus warm-up frames); decoding, inference and
    smoothing+merging each run in their own thread, the caller's loop (encoding) in its own."""
    counts = [0, 0]

    def counted(items: Iterable[DecodedFrame]) -> Iterator[DecodedFrame]:
        for item in items:
            counts[0] += 1
            yield item

    decoded = threaded(counted(frames), queue_size, "decode")
    predicted = threaded(
        _infer(decoded, colorizer, layout.chroma_size, matrix, value_range), queue_size, "infer"
    )
    smoothed = ChromaSmoother(smoothing or SmoothingConfig(mode="none")).process(predicted)
    for out in threaded(_merge(smoothed, layout, value_range), queue_size, "merge"):
        counts[1] += 1
        yield out
    if counts[0] != counts[1]:
        raise RuntimeError(f"frame count changed in the pipeline: {counts[0]} in, {counts[1]} out")
