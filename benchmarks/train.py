"""Training throughput of the default (`fast`) generator on this machine: images/s and data waiting.

Runs the real training loop (generator pretraining, archival degradations on, DataLoader workers) for a
few steps at 128 and 256 px and reports, after the first steps (worker start-up, warm-up), the images/s
and the share of wall time the loop spent waiting for data (target < 10 %). Also prints how many
samples/s one worker prepares, so the worker count needed to keep up is plain. Usage:

    python benchmarks/train.py [--data ../shared/data/train] [--steps 6] [--device cpu]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from videocolor.train import load_train_config, run_training
from videocolor.train.data import ImageCache, TrainDataset, find_sources

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "train"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=SHARED)
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--model", default="fast")
    args = ap.parse_args()
    if not args.data.is_dir():
        raise SystemExit(f"training images not found at {args.data} (pass --data)")
    print(f"model {args.model}, device {args.device}, {args.workers} worker(s), data {args.data}")
    print(f"{'size':>5} {'batch':>5} {'images/s':>9} {'data wait':>9} {'1 worker prepares':>18}")
    for size, batch in ((128, 16), (256, 8)):
        overrides = [
            f'model.generator="{args.model}"',
            f"data.crop={size}",
            f"data.batch_size={batch}",
            f"data.workers={args.workers}",
            "data.val_fraction=0.0",
            f"pretrain_gen.steps={args.steps}",
            "run.log_every=1",
            'run.phases=["pretrain_gen"]',
        ]
        cfg = load_train_config(None, overrides)
        with tempfile.TemporaryDirectory() as tmp:
            run_training(cfg, [args.data], tmp, device=args.device, export=False)
            recs = [json.loads(x) for x in (Path(tmp) / "log.jsonl").read_text().splitlines()]
        first, last = recs[1], recs[-1]  # skip the first step: worker start-up and warm-up
        wall = last["wall_s"] - first["wall_s"]
        rate = (last["images"] - first["images"]) / wall
        wait = (last["wait_s"] - first["wait_s"]) / wall
        cache = ImageCache(find_sources([args.data])[:64], int(size * 1.25))
        ds = TrainDataset(cache, cfg.data, cfg.degrade, seed=0, salt=0)
        t = time.perf_counter()
        for pos in range(128):
            ds[pos]
        per_worker = 128 / (time.perf_counter() - t)
        print(f"{size:>5} {batch:>5} {rate:>9.1f} {wait:>9.1%} {per_worker:>14.0f}/s")


if __name__ == "__main__":
    main()
