"""colorize_image(): photos (and folders of them), read and written with OpenCV."""

from __future__ import annotations

import logging
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

_ALPHA_SUFFIXES = {".png", ".webp", ".tif", ".tiff", ".bmp", ".jp2"}  # formats that can hold alpha
_DEEP_SUFFIXES = {".png", ".tif", ".tiff", ".jp2", ".ppm"}  # formats that can hold 16 bits
_OUTPUT_SUFFIXES = IMAGE_SUFFIXES - {".pgm"}  # PGM holds gray only
_MATRIX = MATRICES["bt601"]  # JPEG/sRGB photos: BT.601 luma weights, full range
log = logging.getLogger("videocolor")


# EXIF orientation -> the turn that displays the stored pixels (PIL's exif_transpose table, in numpy).
_ORIENTATIONS: dict[int, Callable[[np.ndarray], np.ndarray]] = {
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.swapaxes(0, 1),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: np.rot90(a, 2).swapaxes(0, 1),
    8: lambda a: np.rot90(a, 1),
}


def _displayed_alpha(src: Path, full: np.ndarray, shown: np.ndarray) -> np.ndarray | None:
    """The alpha of `full` (as stored) turned by the file's EXIF orientation, as OpenCV turned the colour
    into `shown`; None (alpha dropped) if the turned colour does not match what OpenCV showed."""
    from PIL import Image  # torchvision's dependency; read here for the orientation tag only

    try:
        with Image.open(src) as im:
            orientation = int(im.getexif().get(0x0112, 1))
    except (OSError, ValueError):  # a format Pillow does not read: no EXIF to apply
        orientation = 1
    turn = _ORIENTATIONS.get(orientation, lambda a: a)
    colour = turn(full[..., 0] if shown.ndim == 2 else full[..., :3])
    if colour.shape != shown.shape or not np.array_equal(colour, shown):
        log.warning("%s: alpha channel dropped (its orientation could not be matched)", src)
        return None
    return np.ascontiguousarray(turn(full[..., 3]))


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
        if full is not None and full.ndim == 3 and full.shape[2] == 4:
            alpha = _displayed_alpha(src, full, image)
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
    if dst.suffix.lower() not in _OUTPUT_SUFFIXES:
        raise OutputError(f"output must be an image file ({', '.join(sorted(_OUTPUT_SUFFIXES))}): {dst}")
    check_output(dst, overwrite=options.overwrite, inputs=[src])
    luma, alpha, scale = _read(src)
    colorizer = colorizer or load_colorizer(options, kind="image")
    chroma = colorizer.predict(luma, tuple(luma.shape[-2:]), "bt601")  # type: ignore[arg-type]
    chroma = fit_chroma_to_gamut(luma, chroma, _MATRIX)
    rgb = merge_chroma(luma, chroma, _MATRIX)[0].permute(1, 2, 0).numpy()
    suffix = dst.suffix.lower()
    if scale > 255 and suffix not in _DEEP_SUFFIXES:  # 16-bit in, an 8-bit-only format out
        scale = 255.0
        alpha = None if alpha is None else np.round(alpha / 257.0).astype(np.uint8)
    out = np.round(rgb[..., ::-1] * scale).astype(np.uint16 if scale > 255 else np.uint8)
    if alpha is not None and suffix not in _ALPHA_SUFFIXES:
        log.warning("%s: alpha channel dropped (%s holds none)", dst, suffix)
    elif alpha is not None:
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
    """Colorize every image under `src_dir` into the same relative path under `dst_dir` (created). An
    unreadable photo does not stop the others: once they are written, InputError names it."""
    options = options or ColorizeOptions()
    src_dir, dst_dir = Path(src_dir), Path(dst_dir)
    sources = media_files(src_dir, IMAGE_SUFFIXES, skip=dst_dir)
    if not sources:
        raise InputError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {src_dir}")
    if dst_dir.resolve() == src_dir.resolve():
        raise OutputError(f"output folder is the input folder: {dst_dir}")
    dst_dir.mkdir(parents=True, exist_ok=True)
    colorizer = colorizer or load_colorizer(options, kind="image")

    def one(src: Path) -> Path | InputError:
        target = dst_dir / src.relative_to(src_dir.resolve())
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            return colorize_image(src, target, options, colorizer=colorizer)
        except InputError as exc:
            return exc

    done, bad = [], []
    # On the colorizer's workers (two on the CPU): one photo's reading and writing overlap another's model.
    for i, result in enumerate(colorizer.map(one, sources)):
        (bad if isinstance(result, InputError) else done).append(result)
        if progress is not None:
            progress(i + 1, len(sources))
    if bad:
        raise InputError(f"{len(bad)} of {len(sources)} photos not colorized (the others were): {bad[0]}")
    return done
