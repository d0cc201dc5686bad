"""The video encoder's CPU time per frame and file size at equal quality, per encoder setting.

    python benchmarks/encoder.py                     # the example's pan and zoom + ../shared's clips
    python benchmarks/encoder.py CLIP [CLIP ...] --size 854x480 --frames 96

Each clip is scaled to --size (its first --frames frames, 4:2:0) and written by `MediaWriter`, as colorize
writes, once per setting and CRF. Printed per setting, against x264's veryfast: process CPU ms per frame
at CRF 18 (best of two runs; the writer's calls and the encoder's own threads) and the mean bytes per
frame at the PSNR veryfast reaches at CRF 18 (Y, Cb and Cr planes together, mean over clips), interpolated
in log size over the CRFs tried: what a setting costs and saves at the same quality.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(_ROOT / "examples")]
from make_example import make_frames, write  # noqa: E402

from videocolor.io import EncodeOptions, MediaInfo, MediaWriter, plane_array, probe  # noqa: E402
from videocolor.runtime import tune_process  # noqa: E402

_SHARED = _ROOT.parent / "shared" / "data"
_SHARED_CLIPS = [
    "archival/a_bomb_blast_effects_usgov.mp4",
    "archival/chaplin_1910s_keystone_era.mp4",
    "archival/his_girl_friday_1940_mdn.mp4",
    "clips/intel_asl_book_person.mkv",
    "clips/mdn_flower_nature.webm",
    "clips/sam2_juggle_sports.mp4",
    "clips/sam2_dog_animal.mp4",
    "clips/intel_car_detection_traffic.mov",
    "clips/moviepy_big_buck_bunny_animation.webm",
    "clips/sam2_bedroom_people.mp4",
]
# (name, preset, CRFs): None is the pipeline's own choice for libx264.
_SETTINGS = [
    ("default (veryfast, lighter search)", None, (16, 18, 20)),
    ("veryfast", "veryfast", (16, 18, 20)),
    ("superfast", "superfast", (18, 20, 22, 24)),
]


def _scaled_copy(src: Path, dst: Path, size: tuple[int, int], frames: int) -> Path:
    """`src`'s first `frames` frames at `size`, 4:2:0, lossless (FFV1), 24 frames/s."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        stream = out.add_stream("ffv1", rate=24)
        stream.width, stream.height, stream.pix_fmt = *size, "yuv420p"
        for i, frame in enumerate(inp.decode(video=0)):
            if i == frames:
                break
            scaled = frame.reformat(*size, "yuv420p")
            scaled.pts = i
            for packet in stream.encode(scaled):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return dst


def _planes(path: Path) -> list[tuple[np.ndarray, ...]]:
    with av.open(str(path)) as inp:
        return [tuple(plane_array(f, i, np.uint8).copy() for i in range(3)) for f in inp.decode(video=0)]


def _encode(info: MediaInfo, planes: list, out: Path, options: EncodeOptions) -> tuple[float, int]:
    """(process CPU seconds, bytes) of writing `planes` (frames of `info`'s file) with `options`."""
    cpu = time.process_time()
    with MediaWriter(out, info, options) as writer:
        for i, frame in enumerate(planes):
            writer.write(frame, i, 1)
    return time.process_time() - cpu, out.stat().st_size


def _psnr(planes: list, path: Path) -> float:
    decoded = _planes(path)
    pairs = [(a, b) for ref, dec in zip(planes, decoded, strict=True) for a, b in zip(ref, dec, strict=True)]
    mse = np.mean([np.mean((a.astype(np.float64) - b) ** 2) for a, b in pairs])
    return float(10 * np.log10(255**2 / mse))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("clips", nargs="*", type=Path)
    parser.add_argument("--size", default="854x480")
    parser.add_argument("--frames", type=int, default=96)
    args = parser.parse_args()
    tune_process()
    size = tuple(map(int, args.size.split("x")))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        clips = list(args.clips)
        if not clips:
            example = work / "pan_zoom.mp4"
            write(example, make_frames(args.frames / 24, size=size))
            clips = [example]
            if _SHARED.is_dir():
                clips += [_SHARED / name for name in _SHARED_CLIPS]
            else:
                print(f"{_SHARED} not found: the example's pan and zoom only")
        sources = [_scaled_copy(c, work / f"src{i}.mkv", size, args.frames) for i, c in enumerate(clips)]
        planes = [_planes(s) for s in sources]
        infos = [probe(s) for s in sources]
        print(f"{len(clips)} clips at {args.size}, {args.frames} frames each; libx264 through MediaWriter")
        results = {}
        for name, preset, crfs in _SETTINGS:
            points = []
            for crf in crfs:
                ms, sizes, psnrs = [], [], []
                for i, (info, p) in enumerate(zip(infos, planes, strict=True)):
                    out = work / f"out{i}.mp4"
                    runs = []
                    for _ in range(2):
                        out.unlink(missing_ok=True)
                        runs.append(_encode(info, p, out, EncodeOptions(crf=crf, preset=preset)))
                    ms.append(min(r[0] for r in runs) / len(p) * 1e3)
                    sizes.append(runs[0][1] / len(p))
                    psnrs.append(_psnr(p, out))
                points.append((crf, float(np.mean(ms)), float(np.mean(sizes)), float(np.mean(psnrs))))
            results[name] = points
        _summarize(results)


def _summarize(results: dict[str, list[tuple[int, float, float, float]]]) -> None:
    """Each setting against x264's veryfast: CPU at CRF 18, bytes at veryfast CRF 18's PSNR."""
    reference = results["veryfast"]
    _, ref_cpu, ref_size, target = next(p for p in reference if p[0] == 18)
    for name, points in results.items():
        psnr = np.array([p[3] for p in points])
        order = np.argsort(psnr)
        size = float(np.exp(np.interp(target, psnr[order], np.log([points[i][2] for i in order]))))
        note = "" if psnr.min() <= target <= psnr.max() else " (outside the CRFs tried)"
        cpu = next(p[1] for p in points if p[0] == 18)
        print(f"  {name:36s} CPU at CRF 18 {cpu:5.2f} ms/frame ({cpu / ref_cpu:4.0%} of veryfast's); "
              f"{size / 1024:5.2f} KiB/frame at {target:.2f} dB ({size / ref_size:4.0%}){note}")  # fmt: skip
        tried = (f"CRF {c}: {ms:.2f} ms, {b / 1024:.1f} KiB, {q:.2f} dB" for c, ms, b, q in points)
        print("      " + ", ".join(tried))


if __name__ == "__main__":
    main()
