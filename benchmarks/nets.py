"""Generator throughput: frames/s per variant at its default render size, folded vs unfolded weights.

    python benchmarks/nets.py [--variants fast,video] [--threads 1,2] [--reps 5] [--big-reps 2] [--batch 1]

CPU, float32, batch 1 (or --batch), `torch.set_num_threads(--threads)`, random weights (timing does not
depend on the weight values), under torch.inference_mode. "unfolded" is the training form (spectral/weight
norm recomputed on every call, BatchNorm separate); "folded" is `prepare_for_inference` (norms and conv+BN
folded, channels_last). Then the fast/video ratio at render factor 21 (336x336), both folded, measured in
this run (target >= 20x), and the GPU figures (fp32, fp16 and bf16 weights, batch 1 and 8) when CUDA is
available. The big DeOldify nets take seconds per frame here: they run 1 warm-up + --big-reps timed calls.

On a machine shared with other busy processes, OpenMP's default spin-waiting makes 2 intra-op threads
many times slower than 1 for the small nets (measured here: fast 870 ms vs 54 ms per frame with one
other colorize job running); `OMP_WAIT_POLICY=PASSIVE` (set before torch loads) removes that. The policy
in effect is printed; compare `--threads 1,2`.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import time

import torch

from videocolor.nets import build_generator, list_generators, prepare_for_inference

BIG = ("artistic", "stable", "video")


def seconds_per_call(model: torch.nn.Module, x: torch.Tensor, reps: int) -> tuple[float, float]:
    """Median wall time and median process CPU time of `reps` calls after one warm-up call."""
    sync = torch.cuda.synchronize if x.is_cuda else (lambda: None)
    wall, cpu = [], []
    with torch.inference_mode():
        model(x)
        sync()
        for _ in range(reps):
            t0, c0 = time.perf_counter(), time.process_time()
            model(x)
            sync()
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    return statistics.median(wall), statistics.median(cpu)


def cpu_table(variants: list[str], reps: int, big_reps: int, batch: int) -> dict[str, tuple[float, float]]:
    """Print frames/s per variant (unfolded, folded); return folded (wall, CPU) s/frame at 336x336.

    CPU seconds per frame (all threads) are printed too: on a machine shared with other jobs they move
    far less than wall time does."""
    policy = os.environ.get("OMP_WAIT_POLICY", "unset")
    print(f"CPU fp32, {torch.get_num_threads()} threads, batch {batch}, OMP_WAIT_POLICY {policy}")
    print(
        f"{'variant':10} {'size':>9} {'unfolded fps':>13} {'folded fps':>11} {'speed-up':>9}"
        f" {'folded CPU ms/frame':>20}"
    )
    at_336: dict[str, tuple[float, float]] = {}
    for name in variants:
        n = big_reps if name in BIG else reps
        model = build_generator(name).eval()
        side = model.config.render_factor * 16
        x = torch.randn(batch, 3, side, side)
        unfolded = seconds_per_call(model, x, n)[0] / batch
        folded_model = prepare_for_inference(copy.deepcopy(model), "cpu")
        del model
        xf = x.contiguous(memory_format=torch.channels_last)
        folded, folded_cpu = (t / batch for t in seconds_per_call(folded_model, xf, n))
        print(
            f"{name:10} {side:>4}x{side:<4} {1 / unfolded:13.2f} {1 / folded:11.2f} {unfolded / folded:8.2f}x"
            f" {1000 * folded_cpu:20.1f}"
        )
        if name in ("fast", "video"):
            x336 = torch.randn(1, 3, 336, 336).contiguous(memory_format=torch.channels_last)
            at_336[name] = (folded, folded_cpu) if side == 336 else seconds_per_call(folded_model, x336, n)
        del folded_model
    return at_336


def gpu_table(variants: list[str], reps: int) -> None:
    device = torch.device("cuda")
    print(f"GPU {torch.cuda.get_device_name(device)}: frames/s, folded, channels_last")
    print(f"{'variant':10} {'size':>9} {'batch':>5} {'fp32':>9} {'fp16':>9} {'bf16':>9}")
    for name in variants:
        base = prepare_for_inference(build_generator(name).eval(), "cpu")
        side = base.config.render_factor * 16
        for batch in (1, 8):
            fps = []
            for dtype in (torch.float32, torch.float16, torch.bfloat16):
                model = copy.deepcopy(base).to(device=device, dtype=dtype)
                x = torch.randn(batch, 3, side, side, device=device, dtype=dtype)
                wall, _ = seconds_per_call(model, x.contiguous(memory_format=torch.channels_last), reps)
                fps.append(batch / wall)
                del model
            print(f"{name:10} {side:>4}x{side:<4} {batch:>5} " + " ".join(f"{f:9.1f}" for f in fps))
        torch.cuda.empty_cache()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--variants", default=",".join(list_generators()))
    parser.add_argument("--threads", default="2", help="intra-op thread counts to run, e.g. 1,2")
    parser.add_argument("--reps", type=int, default=5, help="timed calls for the small variants")
    parser.add_argument("--big-reps", type=int, default=2, help="timed calls for artistic/stable/video")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--no-gpu", action="store_true")
    args = parser.parse_args()
    torch.set_flush_denormal(True)  # random weights must not hit the slow denormal path
    variants = [v for v in args.variants.split(",") if v]
    for threads in (int(t) for t in args.threads.split(",")):
        torch.set_num_threads(threads)
        at_336 = cpu_table(variants, args.reps, args.big_reps, args.batch)
        if {"fast", "video"} <= set(at_336):
            (fast, fast_cpu), (video, video_cpu) = at_336["fast"], at_336["video"]
            print(
                f"render factor 21 (336x336), folded fp32: fast {1 / fast:.2f} fps, video {1 / video:.3f} fps"
                f" -> fast is {video / fast:.1f}x faster in wall time,"
                f" {video_cpu / fast_cpu:.1f}x in CPU time (target >= 20x)"
            )
        print()
    if torch.cuda.is_available() and not args.no_gpu:
        gpu_table(variants, args.reps)


if __name__ == "__main__":
    main()
