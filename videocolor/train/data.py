"""Training data: colour images and video frames, split by file, decoded once into a shared uint8 cache.

A sample is a pure function of (seed, phase, global position): the position picks the epoch and the
image (a fresh permutation per epoch) and seeds its crop, flip and degradations. So a run resumes
exactly from a step count, and DDP ranks or DataLoader workers see the same samples as one process.
"""

from __future__ import annotations

import hashlib
import logging
import math
import multiprocessing
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from videocolor.errors import InputError
from videocolor.metrics.image import colourfulness
from videocolor.train.config import DataConfig, DegradeConfig
from videocolor.train.degrade import degrade_luma, luma_u8

__all__ = [
    "IMAGE_EXTS",
    "VIDEO_EXTS",
    "ImageCache",
    "PositionBatches",
    "Source",
    "TrainDataset",
    "epoch_order",
    "find_sources",
    "make_loader",
    "split_sources",
    "validation_batch",
]

log = logging.getLogger(__name__)

# Not videocolor.io.files' sets: importing videocolor.io loads PyAV, which training must not need.
IMAGE_EXTS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"})
VIDEO_EXTS = frozenset({".mp4", ".mkv", ".mov", ".webm", ".avi", ".m4v", ".mpg", ".mpeg", ".ts"})


@dataclass(frozen=True)
class Source:
    path: Path
    key: str  # root folder name + path inside it: stable across machines, decides the split


def find_sources(roots: Sequence[str | Path]) -> list[Source]:
    """Image and video files under `roots` (folders searched recursively, or files), sorted by key."""
    found: dict[str, Source] = {}
    for root in map(Path, roots):
        if not root.exists():
            raise InputError(f"training data not found: {root}")
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for p in files:
            if p.suffix.lower() in IMAGE_EXTS | VIDEO_EXTS:
                rel = p.name if root.is_file() else p.relative_to(root).as_posix()
                key = f"{root.resolve().name}/{rel}"
                found[key] = Source(p, key)
    if not found:
        raise InputError(f"no images or videos found in {', '.join(map(str, roots))}")
    return [found[k] for k in sorted(found)]


def _unit_hash(text: str) -> float:
    return int.from_bytes(hashlib.sha1(text.encode()).digest()[:8], "big") / 2.0**64


def split_sources(sources: Sequence[Source], val_fraction: float) -> tuple[list[Source], list[Source]]:
    """(train, val) by a hash of each file's key: frames of one video never straddle the split."""
    if val_fraction <= 0.0 or len(sources) < 2:
        return list(sources), []
    val = [s for s in sources if _unit_hash(s.key) < val_fraction]
    if not val:
        val = [min(sources, key=lambda s: _unit_hash(s.key))]
    chosen = {s.key for s in val}
    return [s for s in sources if s.key not in chosen], val


def _fit_short_side(img: np.ndarray, short: int) -> np.ndarray:
    h, w = img.shape[:2]
    scale = short / min(h, w)
    if scale >= 1.0:  # never upscale: the cache keeps what the file has
        return img
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA)


def _read_image(path: Path) -> list[np.ndarray]:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    return [] if bgr is None else [cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)]


def _read_video_frames(path: Path, count: int) -> list[np.ndarray]:
    # Imported here: only video sources need PyAV (the GPU training machine may not have it).
    from videocolor.errors import InputError
    from videocolor.io import decode_rgb, probe

    try:
        info = probe(path)
        stride = max(1, info.frame_count // count) if info.frame_count else 10
        frames = []
        for i, rgb in enumerate(decode_rgb(info)):
            if i % stride == 0:
                frames.append(rgb)
                if len(frames) >= count:
                    break
        return frames
    except InputError:
        return []


class ImageCache:
    """Decoded RGB images (short side capped) in one flat uint8 tensor, shared with DataLoader workers."""

    def __init__(self, sources: Sequence[Source], short_side: int, frames_per_video: int = 24) -> None:
        def load(src: Source) -> list[np.ndarray]:
            if src.path.suffix.lower() in VIDEO_EXTS:
                frames = _read_video_frames(src.path, frames_per_video)
            else:
                frames = _read_image(src.path)
            return [np.ascontiguousarray(_fit_short_side(f, short_side)) for f in frames]

        images: list[np.ndarray] = []
        bad: list[str] = []
        with ThreadPoolExecutor(max(1, min(16, os.cpu_count() or 1))) as pool:
            it = pool.map(load, sources)
            for src, frames in tqdm(
                zip(sources, it, strict=True),
                total=len(sources),
                unit="file",
                desc="decoding",
                leave=False,
                mininterval=1.0,
            ):
                images.extend(frames)
                if not frames:
                    bad.append(str(src.path))
        if bad:
            log.warning("skipped %d unreadable file(s), e.g. %s", len(bad), bad[0])
        if sources and not images:
            raise InputError(f"none of the {len(sources)} training files could be decoded")
        self.shapes = torch.tensor([im.shape[:2] for im in images], dtype=torch.int64).reshape(-1, 2)
        sizes = self.shapes[:, 0] * self.shapes[:, 1] * 3
        self.offsets = torch.cat((torch.zeros(1, dtype=torch.int64), sizes.cumsum(0)))
        self.flat = torch.empty(int(self.offsets[-1]), dtype=torch.uint8)
        for i, im in enumerate(images):
            self.flat[int(self.offsets[i]) : int(self.offsets[i + 1])] = torch.from_numpy(im.reshape(-1))
        self.flat.share_memory_()

    def __len__(self) -> int:
        return int(self.shapes.shape[0])

    def image(self, i: int) -> np.ndarray:
        h, w = (int(v) for v in self.shapes[i])
        return self.flat[int(self.offsets[i]) : int(self.offsets[i + 1])].numpy().reshape(h, w, 3)


def epoch_order(cache: ImageCache, repeat: int, below_cf: float) -> np.ndarray:
    """Image indices of one epoch: each once, and those with colourfulness < below_cf `repeat` times."""
    order = np.arange(len(cache))
    if repeat == 1:
        return order
    gray = [i for i in order if colourfulness(cache.image(int(i))) < below_cf]
    return np.concatenate([order, np.repeat(np.asarray(gray, np.int64), repeat - 1)])


class TrainDataset(Dataset):
    """position -> (target RGB (3,S,S) uint8, degraded input luma (1,S,S) uint8)."""

    def __init__(
        self, cache: ImageCache, data: DataConfig, degrade: DegradeConfig, seed: int, salt: int
    ) -> None:
        if len(cache) == 0:
            raise InputError("no training images")
        self.cache, self.data, self.degrade = cache, data, degrade
        self.seed, self.salt = seed, salt
        self._order = epoch_order(cache, data.neutral_repeat, data.neutral_cf)
        self._perm_epoch = -1
        self._perm = np.empty(0, np.int64)

    def __len__(self) -> int:
        return len(self._order)

    def _index(self, pos: int) -> int:
        epoch, k = divmod(pos, len(self._order))
        if epoch != self._perm_epoch:
            self._perm = np.random.default_rng([self.seed, self.salt, epoch, 7]).permutation(len(self._order))
            self._perm_epoch = epoch
        return int(self._order[self._perm[k]])

    def __getitem__(self, pos: int) -> tuple[torch.Tensor, torch.Tensor]:
        rng = np.random.default_rng([self.seed, self.salt, pos])
        img = self.cache.image(self._index(pos))
        d, size = self.data, self.data.crop
        h, w = img.shape[:2]
        # Random-resized crop: area share and aspect ratio jitter, stretched to a square as rendering does.
        area = h * w * rng.uniform(d.scale_min, d.scale_max)
        ratio = math.exp(rng.uniform(-math.log(d.ratio_jitter), math.log(d.ratio_jitter)))
        cw = int(min(w, max(8, round(math.sqrt(area * ratio)))))
        ch = int(min(h, max(8, round(math.sqrt(area / ratio)))))
        x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        box = img[y0 : y0 + ch, x0 : x0 + cw]
        interp = cv2.INTER_AREA if cw > size else cv2.INTER_LINEAR
        crop = cv2.resize(box, (size, size), interpolation=interp)
        if d.hflip and rng.random() < 0.5:
            crop = crop[:, ::-1]
        crop = np.ascontiguousarray(crop)
        luma = degrade_luma(crop, self.degrade, rng)
        return torch.from_numpy(crop).permute(2, 0, 1), torch.from_numpy(luma)[None]


class PositionBatches:
    """Infinite batch sampler over global positions, from global batch `start` on.

    Global batch b holds positions [b*B, (b+1)*B); it is cut into accum*world equal chunks and this rank
    takes chunk (a*world + rank) for micro-step a, so any (accum, world) split of one global batch sees
    the same samples.
    """

    def __init__(self, start: int, global_batch: int, accum: int, world: int, rank: int) -> None:
        parts = accum * world
        if global_batch % parts:
            raise ValueError(f"batch_size {global_batch} must divide by accum_steps x world size = {parts}")
        self.start, self.batch, self.accum, self.world, self.rank = start, global_batch, accum, world, rank
        self.micro = global_batch // parts

    def __iter__(self) -> Iterator[list[int]]:
        b = self.start
        while True:
            for a in range(self.accum):
                first = b * self.batch + (a * self.world + self.rank) * self.micro
                yield list(range(first, first + self.micro))
            b += 1


def _worker_init(_: int) -> None:
    torch.set_num_threads(1)
    cv2.setNumThreads(1)


def make_loader(
    dataset: TrainDataset, batches: PositionBatches, workers: int, pin: bool, prefetch: int
) -> DataLoader:
    if workers < 0:
        workers = max(1, min(12, (os.cpu_count() or 1) - 2))
    # Workers start from a fresh forkserver, not as forks of a process whose OpenCV/CUDA threads may hold
    # locks (such a fork hung on the GPU machine); the server imports torch once, so workers start fast.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["torch", "cv2", "videocolor.train.data"])
    return DataLoader(
        dataset,
        batch_sampler=batches,
        num_workers=workers,
        pin_memory=pin,
        persistent_workers=workers > 0,
        prefetch_factor=prefetch if workers > 0 else None,
        worker_init_fn=_worker_init if workers > 0 else None,
        multiprocessing_context=context if workers > 0 else None,
        # Its own generator: creating the iterator must not draw from the global RNG (exact resume).
        generator=torch.Generator().manual_seed(0),
    )


def validation_batch(cache: ImageCache, size: int, limit: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Fixed centre crops of the held-out images: (RGB (N,3,S,S) uint8, clean luma (N,1,S,S) uint8)."""
    rgbs, lumas = [], []
    for i in range(min(limit, len(cache))):
        img = cache.image(i)
        h, w = img.shape[:2]
        side = min(h, w)
        y0, x0 = (h - side) // 2, (w - side) // 2
        crop = cv2.resize(img[y0 : y0 + side, x0 : x0 + side], (size, size), interpolation=cv2.INTER_AREA)
        rgbs.append(torch.from_numpy(np.ascontiguousarray(crop)).permute(2, 0, 1))
        lumas.append(torch.from_numpy(luma_u8(crop))[None])
    if not rgbs:
        return torch.empty(0, 3, size, size, dtype=torch.uint8), torch.empty(
            0, 1, size, size, dtype=torch.uint8
        )
    return torch.stack(rgbs), torch.stack(lumas)
