"""colorize_image(): photos (and folders of them), read and written with OpenCV."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import torch

from videocolor.color import MATRICES, fit_chroma_to_gamut, luma_of, merge_chroma
from videocolor.errors import InputError, OutputError
from videocolor.io import atomic_output, check_output, media_files
from videocolor.io.files import IMAGE_SUFFIXES
from videocolor.pipeline.model import load_colorizer
from videocolor.pipeline.options import ColorizeOptions
from videocolor.pipeline.stages import Colorizer

__all__ = ["IMAGE_SUFFIXES", "colorize_image", "colorize_images", "is_image"]

_ALPHA_SUFFIXES = {".png", ".webp", ".tif", ".tiff"}
_MATRIX = MATRICES["bt601"]  # JPEG/sRGB photos: BT.601 luma weights, full range


def is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def _read(src: Path) -> tuple[torch.Tensor, np.ndarray | None, float]:
    """(1, 1, H, W) luma in [0, 1], the alpha channel if any, and the code-value scale (255 or 65535)."""
    if not src.is_file():
        raise InputError(f"input not found: {src}")
    # ANYDEPTH|ANYCOLOR keeps 16-bit and gray and applies the EXIF orientation (the output has no EXIF);
    # only UNCHANGED keeps an alpha channel, and it ignores the orientation.
    image = cv2.imread(str(src), cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR)
    if image is None or image.size == 0:
        raise InputError(f"not a readable image: {src}")
    if image.dtype not in (np.uint8, np.uint16):
        raise InputError(f"unsupported image sample type {image.dtype} in {src}")
    scale = float(np.iinfo(image.dtype).max)
    alpha = None
    if src.suffix.lower() in _ALPHA_SUFFIXES:
        full = cv2.imread(str(src), cv2.IMREAD_UNCHANGED)
        if full is not None and full.ndim == 3 and full.shape[2] == 4 and full.shape[:2] == image.shape[:2]:
            alpha = full[..., 3]
    pixels = torch.from_numpy(image.astype(np.float32) / scale)
    if pixels.dim() == 2:
        return pixels[None, None], alpha, scale
    rgb = pixels[..., [2, 1, 0]].permute(2, 0, 1).unsqueeze(0)  # tinted/sepia scans: only luma is used
    return luma_of(rgb, _MATRIX), alpha, scale


def colorize_image(
    src: str | Path,
    dst: str | Path,
    options: ColorizeOptions | None = None,
    *,
    colorizer: Colorizer | None = None,
) -> Path:
    """Colorize one photo; the output keeps the input's luma (BT.601) and bit depth, and its alpha."""
    options = options or ColorizeOptions()
    src, dst = Path(src), Path(dst)
    if not is_image(dst):
        raise OutputError(f"output must be an image file ({', '.join(sorted(IMAGE_SUFFIXES))}): {dst}")
    check_output(dst, overwrite=options.overwrite, inputs=[src])
    luma, alpha, scale = _read(src)
    colorizer = colorizer or load_colorizer(options, kind="image")
    chroma = colorizer.predict(luma, tuple(luma.shape[-2:]), "bt601")  # type: ignore[arg-type]
    chroma = fit_chroma_to_gamut(luma, chroma, _MATRIX)
    rgb = merge_chroma(luma, chroma, _MATRIX)[0].permute(1, 2, 0).numpy()
    dtype = np.uint16 if scale > 255 else np.uint8
    out = np.round(rgb[..., ::-1] * scale).astype(dtype)
    if alpha is not None:
        out = np.dstack([out, alpha])
    with atomic_output(dst, overwrite=options.overwrite, inputs=[src]) as tmp:
        if not cv2.imwrite(str(tmp), out):
            raise OutputError(f"cannot write image {dst}")
    return dst


def colorize_images(
    src_dir: str | Path,
    dst_dir: str | Path,
    options: ColorizeOptions | None = None,
    *,
    colorizer: Colorizer | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Colorize every image under `src_dir` into the same relative path under `dst_dir` (created)."""
    options = options or ColorizeOptions()
    src_dir, dst_dir = Path(src_dir), Path(dst_dir)
    sources = media_files(src_dir, IMAGE_SUFFIXES, skip=dst_dir)
    if not sources:
        raise InputError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {src_dir}")
    if dst_dir.resolve() == src_dir.resolve():
        raise OutputError(f"output folder is the input folder: {dst_dir}")
    dst_dir.mkdir(parents=True, exist_ok=True)
    colorizer = colorizer or load_colorizer(options, kind="image")

    def one(src: Path) -> Path:
        target = dst_dir / src.relative_to(src_dir.resolve())
        target.parent.mkdir(parents=True, exist_ok=True)
        return colorize_image(src, target, options, colorizer=colorizer)

    done = []
    # On the colorizer's workers (two on the CPU): one photo's reading and writing overlap another's model.
    for i, path in enumerate(colorizer.map(one, sources)):
        done.append(path)
        if progress is not None:
            progress(i + 1, len(sources))
    return done
