"""End-to-end colorize throughput vs the model alone on the same frames, and memory vs input length.

    python benchmarks/pipeline.py                       # 480p, 20 s, `fast` architecture (random weights)
    python benchmarks/pipeline.py --weights models/fast.v4.safetensors   # the shipped model's own output
    python benchmarks/pipeline.py --input CLIP --repeat 6   # a real clip, median ratio over 6 rounds
    python benchmarks/pipeline.py --rss                 # also peak RSS for a 1-minute and a 10-minute input
    python benchmarks/pipeline.py --cpu                 # also each stage's CPU time per frame

Prints frames/s of `colorize_video` (decode + infer + merge + encode, threads overlapping) and of the
generator alone (`Colorizer.predict`: resize, model, chroma, on frames already decoded), and their ratio.
Both run the generator on the colorizer's inference workers (two on the CPU). Without --input the clip
is the README example's pan and zoom over public-domain photos (examples/make_example.py) at --size:
natural content, as an encoder meets in real footage (noise would cost x264 several times as much).
The clip is 20 s (--frames 480): filling and draining the pipeline costs about 0.2 s per file (the first
batches before any encoding, x264's last frames after the model), which is 3 % of an 8-second clip and
under 1 % of a 20-second one; the ratio is about the throughput a long video sees.
The RSS runs use a small noisy clip (memory behaviour, not speed) in fresh processes.

Both measurements keep every core busy, so the ratio is close to the model's CPU time per frame over the
whole run's: with --cpu that bound is printed next to each run, with the stages' shares (inference
workers, encode, decode, smoothing + merge) that make up the difference.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import torch

_ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(_ROOT / "tests"), str(_ROOT / "examples")]
from make_example import FPS, make_frames, write  # noqa: E402
from media import make_clip  # noqa: E402

from videocolor.color import code_to_analog  # noqa: E402
from videocolor.io import EncodeOptions, decode_frames, probe  # noqa: E402
from videocolor.nets import build_generator, load_weights, prepare_for_inference  # noqa: E402
from videocolor.pipeline import ColorizeOptions, Colorizer, autocast_dtype, colorize_video  # noqa: E402
from videocolor.runtime import tune_process  # noqa: E402
from videocolor.temporal import SmoothingConfig  # noqa: E402


def _colorizer(
    arch: str, render_factor: int, batch: int, precision: str = "auto", weights: Path | None = None
) -> Colorizer:
    torch.manual_seed(0)
    model = prepare_for_inference(load_weights(weights) if weights else build_generator(arch), "cpu")
    cpu = torch.device("cpu")
    return Colorizer(
        model,
        device=cpu,
        render_size=render_factor * 16,
        batch_size=batch,
        autocast_dtype=autocast_dtype(precision, cpu),
    )


def _model_only(clip: Path, colorizer: Colorizer) -> tuple[float, float]:
    """(frames/s, process CPU ms per frame). Run in a worker thread, as the pipeline's inference stage is
    (torch's threading differs there)."""
    result: list[tuple[float, float]] = []
    worker = threading.Thread(target=lambda: result.append(_model_only_here(clip, colorizer)))
    worker.start()
    worker.join()
    return result[0]


def _model_only_here(clip: Path, colorizer: Colorizer) -> tuple[float, float]:
    info = probe(clip)
    frames = list(decode_frames(info))
    chroma_size = ((info.height + 1) // 2, (info.width + 1) // 2)
    step = colorizer.batch_size
    codes = [
        np.stack([f.luma for f in frames[i : i + step]]).astype(np.float32)
        for i in range(0, len(frames), step)
    ]
    lumas = [
        code_to_analog(torch.from_numpy(c), bits=8, value_range=info.color_range).unsqueeze(1) for c in codes
    ]

    def predict(luma: torch.Tensor) -> torch.Tensor:
        return colorizer.predict(luma, chroma_size, info.matrix)

    for _ in colorizer.map(predict, lumas[: colorizer.workers]):  # warm-up
        pass
    start, cpu = time.perf_counter(), time.process_time()
    for _ in colorizer.map(predict, lumas):  # on the colorizer's workers, as the pipeline runs it
        pass
    return len(frames) / (time.perf_counter() - start), (time.process_time() - cpu) / len(frames) * 1e3


def _end_to_end(
    clip: Path, colorizer: Colorizer, smoothing: str, workdir: Path, encode: EncodeOptions, stages: bool
) -> tuple[float, float, dict[str, float]]:
    """(frames/s, process CPU ms per frame, CPU ms per frame of each stage if `stages`, else {})."""
    out = workdir / f"out-{smoothing}.mp4"
    options = ColorizeOptions(
        overwrite=True,
        smoothing=SmoothingConfig(mode=smoothing),  # type: ignore[arg-type]
        encode=encode,
    )
    cpu = time.process_time()
    with ThreadCpu() if stages else contextlib.nullcontext() as counters:
        report = colorize_video(clip, out, options, colorizer=colorizer)
    per_frame = (time.process_time() - cpu) / report.frames * 1e3
    by_stage = {k: v / report.frames * 1e3 for k, v in counters.seconds.items()} if counters else {}
    return report.fps, per_frame, by_stage


# Which stage a thread's CPU time belongs to, by the first matching name prefix. PyAV's decoder threads
# are named av:*; x264's own threads keep the process's name and fall to the last row, the encoder.
_STAGES = (
    ("videocolor-worker", "inference workers (generator, resize, gamut fit)"),
    ("videocolor-merge", "smoothing + merge"),
    ("videocolor-decode", "decode (PyAV)"),
    ("av:", "decode (PyAV)"),
    ("MainThread", "encode + mux (x264, PyAV)"),
    ("", "encode + mux (x264, PyAV)"),
)


class ThreadCpu:
    """CPU seconds per stage of the runs inside `with`, from Linux's per-thread counters (sampled every
    50 ms, so a thread's last moments before it ends are missed)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._before: dict[int, tuple[str, float]] = {}
        self._latest: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, name="cpu-sampler", daemon=True)

    @staticmethod
    def _threads() -> dict[int, tuple[str, float]]:
        names = {t.native_id: t.name for t in threading.enumerate()}
        tick = os.sysconf("SC_CLK_TCK")
        found = {}
        for tid in os.listdir("/proc/self/task"):
            try:
                comm = Path(f"/proc/self/task/{tid}/comm").read_text().strip()
                fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # the thread ended
                continue
            name = names.get(int(tid), comm)
            found[int(tid)] = (name, (int(fields[11]) + int(fields[12])) / tick)  # utime + stime
        return found

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self._latest.update(self._threads())

    def __enter__(self) -> ThreadCpu:
        self._before = self._threads()
        self._latest = dict(self._before)
        self._sampler.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._sampler.join()
        self._latest.update(self._threads())
        for tid, (name, cpu) in self._latest.items():
            if name == self._sampler.name:
                continue
            stage = next(label for prefix, label in _STAGES if name.startswith(prefix))
            spent = cpu - self._before.get(tid, (name, 0.0))[1]
            self.seconds[stage] = self.seconds.get(stage, 0.0) + spent


def _rss_run(clip: Path, workdir: Path) -> None:
    """Child process: colorize `clip` (tiny model, flow smoothing); print frames and peak RSS (MiB) after
    loading everything and at the end."""
    colorizer = _colorizer("tiny", 6, 8)
    ready = _peak_rss_mib()
    options = ColorizeOptions(overwrite=True, smoothing=SmoothingConfig(mode="flow"))
    report = colorize_video(clip, workdir / f"{clip.stem}-out.mkv", options, colorizer=colorizer)
    print(f"{report.frames} {ready:.0f} {_peak_rss_mib():.0f}")


def _peak_rss_mib() -> float:
    """This process's peak RSS. Linux's VmHWM, which (unlike ru_maxrss) does not inherit the parent's."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _speed(args: argparse.Namespace, workdir: Path) -> None:
    if args.input is not None:
        clip = args.input
        info = probe(clip)
        w, h, args.frames = info.width, info.height, info.frame_count or len(list(decode_frames(info)))
    else:
        w, h = map(int, args.size.split("x"))
        clip = workdir / "bench.mp4"
        frames = make_frames(args.frames / FPS, size=(w, h))
        write(clip, frames)
        args.frames = len(frames)
    colorizer = _colorizer(args.arch, args.render_factor, args.batch_size, args.precision, args.weights)
    print(f"{args.weights or args.arch} ({colorizer.precision}) at render factor {args.render_factor} "
          f"({args.render_factor * 16} px), {w}x{h}, "
          f"{args.frames} frames, batch {args.batch_size}, "
          f"torch threads {torch.get_num_threads()} over {colorizer.workers} inference workers")  # fmt: skip
    # Model-only runs bracket every end-to-end run, so that load from other processes drifts out; with
    # --repeat the rounds alternate and the median ratio is printed (this VM's speed varies by +-20 %).
    model_fps, model_cpu = _model_only(clip, colorizer)
    print(
        f"  model only (resize + generator + chroma): {model_fps:7.2f} frames/s, {model_cpu:.1f} ms CPU/frame"
    )
    encode = EncodeOptions(preset=args.encoder_preset, threads=args.encoder_threads)
    ratios: dict[str, list[float]] = {s: [] for s in args.smoothing}
    for round_ in range(args.repeat):
        # Every other round in reverse order: a mode's place in the round biased it by up to 10 %.
        for smoothing in args.smoothing[:: 1 if round_ % 2 == 0 else -1]:
            fps, cpu, by_stage = _end_to_end(clip, colorizer, smoothing, workdir, encode, args.cpu)
            after, after_cpu = _model_only(clip, colorizer)
            ratios[smoothing].append(2 * fps / (model_fps + after))
            print(
                f"  end to end, smoothing {smoothing:5s}: {fps:7.2f} frames/s; model only around it "
                f"{(model_fps + after) / 2:6.2f}; ratio {ratios[smoothing][-1]:.2f}"
            )
            if args.cpu:
                # Where every core is busy, the ratio cannot exceed the model's CPU per frame over the run's.
                model_only_cpu = (model_cpu + after_cpu) / 2
                stages = ", ".join(
                    f"{name} {ms:.1f}" for name, ms in sorted(by_stage.items(), key=lambda x: -x[1])
                )
                print(f"    CPU ms/frame: {stages}; process {cpu:.1f} vs model only {model_only_cpu:.1f} "
                      f"(bound on the ratio, cores full: {model_only_cpu / cpu:.2f})")  # fmt: skip
            model_fps, model_cpu = after, after_cpu
    if args.repeat > 1:
        for smoothing, values in ratios.items():
            print(f"  median ratio, smoothing {smoothing:5s}: {statistics.median(values):.2f} "
                  f"(of {', '.join(f'{v:.2f}' for v in values)})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--arch", default="fast")
    parser.add_argument("--size", default="854x480")
    parser.add_argument("--frames", type=int, default=480)
    parser.add_argument("--weights", type=Path, help="a weights file instead of --arch's random weights")
    parser.add_argument("--render-factor", type=int, default=21)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--precision", default="auto", help="the model's arithmetic, as colorize's")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--smoothing", nargs="+", default=["none", "flow"])
    parser.add_argument("--repeat", type=int, default=1, help="rounds of end-to-end runs (median ratio)")
    parser.add_argument("--input", type=Path, help="a real clip instead of the generated (noisy) one")
    parser.add_argument("--encoder-preset", help="x264 preset for the end-to-end runs (default: pipeline's)")
    parser.add_argument("--encoder-threads", type=int, default=0, help="encoder threads (0: its own choice)")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="also print each stage's CPU time per frame (Linux; its sampler costs ~1 ms/frame)",
    )
    parser.add_argument(
        "--rss", action="store_true", help="also measure peak RSS for 1- and 10-minute inputs"
    )
    parser.add_argument("--rss-only", action="store_true", help="skip the speed comparison")
    parser.add_argument("--rss-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rss-size", default="160x120")
    args = parser.parse_args()
    tune_process()  # as the command line does, for both measurements
    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if args.rss_child:
            _rss_run(args.rss_child, workdir)
            return
        if not args.rss_only:
            _speed(args, workdir)
        if args.rss or args.rss_only:
            w, h = map(int, args.rss_size.split("x"))
            for minutes in (1, 10):
                long_clip = make_clip(
                    workdir / f"rss-{minutes}.mkv", frames=minutes * 60 * 24, size=(w, h), audio=["aac"]
                )
                out = subprocess.run(
                    [sys.executable, __file__, "--rss-child", str(long_clip)],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout.split()
                frames, ready, peak = out[-3:]
                print(f"  {minutes:2d}-minute input ({frames} frames, {args.rss_size}): peak RSS {peak} MiB "
                      f"(model loaded, before the video: {ready} MiB)")  # fmt: skip


if __name__ == "__main__":
    main()
