"""`videocolor train run|export|grow`: train the generator (NoGAN + GAN), export weights for `colorize`,
grow trained weights into a deeper generator."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from videocolor.config import ConfigError

PIPELINES = Path(__file__).resolve().parents[2] / "pipelines"


def _preset_path(name: str) -> Path:
    path = Path(name)
    if path.is_file():
        return path
    for candidate in (PIPELINES / name, PIPELINES / f"{name}.toml"):
        if candidate.is_file():
            return candidate
    raise ConfigError(f"preset not found: {name} (a TOML file, or a name in {PIPELINES})")


def _run(args: argparse.Namespace) -> int:
    from videocolor.train import load_train_config, run_training
    from videocolor.train.config import PHASES

    overrides = list(args.set)
    if args.critic_steps is not None:
        overrides.append(f"gan.critic_steps={args.critic_steps}")
    if args.seed is not None:
        overrides.append(f"run.seed={args.seed}")
    if args.vgg_weights is not None:
        overrides.append(f"loss.vgg_weights={json.dumps(str(args.vgg_weights))}")
    if args.phases is not None:
        overrides.append(f"run.phases={json.dumps(args.phases.split(','))}")
    if args.max_minutes is not None and args.max_minutes <= 0:
        raise ConfigError(f"--max-minutes must be > 0, got {args.max_minutes:g}")
    stop_at = None
    if args.stop_at:
        phase, _, step = args.stop_at.rpartition(":")
        if not step.isdigit() or (phase and phase not in PHASES):
            raise ConfigError(f"--stop-at must be [PHASE:]STEP with PHASE one of {', '.join(PHASES)}"
                              f", got {args.stop_at!r}")  # fmt: skip
        stop_at = (phase or None, int(step))
    cfg = load_train_config(_preset_path(args.preset) if args.preset else None, overrides)
    result = run_training(
        cfg,
        args.data,
        args.out,
        device=args.device,
        max_minutes=args.max_minutes,
        stop_at=stop_at,
        export=not args.no_export,
    )
    for phase, metrics in result.phases.items():
        shown = ", ".join(f"{k} {v:.3f}" for k, v in metrics.items() if isinstance(v, float))
        print(f"{phase}: {shown or 'no validation'}")
    if result.exported is not None:
        print(f"exported the best checkpoint to {result.exported}")
    if result.stopped is not None:
        print(
            f"stopped in {result.stopped} as --stop-at asked (checkpointed): run the same command to resume"
        )
    return 0


def _export(args: argparse.Namespace) -> int:
    from videocolor.train import export_checkpoint

    out = export_checkpoint(args.checkpoint, args.output, use_ema=not args.no_ema, overwrite=args.overwrite)
    print(f"wrote {out}")
    return 0


def _grow(args: argparse.Namespace) -> int:
    from videocolor.train import grow_weights

    out = grow_weights(args.weights, args.output, args.generator, overwrite=args.overwrite)
    print(f"wrote {out}: {args.generator}, computing what {args.weights} computes")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a generator (NoGAN pretraining, critic, GAN) or export one")
    add_actions(p)


def add_actions(p: argparse.ArgumentParser) -> None:
    """`run` and `export` under `p` (also used by `python -m videocolor.train`, which needs no PyAV)."""
    tsub = p.add_subparsers(dest="train_command", required=True, metavar="ACTION")

    r = tsub.add_parser("run", help="run or resume the phases of a training preset")
    r.add_argument("--preset", help="TOML preset: a path or a name in pipelines/ (e.g. train-nogan)")
    r.add_argument(
        "--data", action="append", required=True, help="folder or file of images/videos (repeatable)"
    )
    r.add_argument("--out", required=True, type=Path, help="run folder: checkpoints, logs, samples")
    r.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (torchrun picks LOCAL_RANK)")
    r.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a preset key")
    r.add_argument("--max-minutes", type=float, help="wall-clock budget of the whole run, split over phases")
    r.add_argument("--critic-steps", type=int, help="critic optimizer steps per generator step (default 2)")
    r.add_argument(
        "--vgg-weights", type=Path, help="local torchvision vgg16_bn weights: DeOldify's perceptual loss"
    )
    r.add_argument("--phases", help="comma-separated subset of pretrain_gen,pretrain_critic,gan")
    r.add_argument("--seed", type=int)
    r.add_argument(
        "--stop-at",
        metavar="[PHASE:]STEP",
        help="stop (checkpointed, resumable) when PHASE (or any phase) reaches STEP",
    )
    r.add_argument("--no-export", action="store_true", help="do not write RUN/model.safetensors at the end")
    r.set_defaults(func=_run)

    e = tsub.add_parser("export", help="write a checkpoint's generator as a weights file for colorize")
    e.add_argument("checkpoint", type=Path)
    e.add_argument("-o", "--output", required=True, type=Path, help="OUT.safetensors")
    e.add_argument("--no-ema", action="store_true", help="export the raw weights, not their moving average")
    e.add_argument("--overwrite", action="store_true")
    e.set_defaults(func=_export)

    g = tsub.add_parser(
        "grow", help="put a weights file's generator into a deeper encoder (same outputs) to train further"
    )
    g.add_argument("weights", type=Path, help="a generator weights file (.safetensors)")
    g.add_argument("--generator", required=True, help="the deeper registered variant, e.g. fast34")
    g.add_argument("-o", "--output", required=True, type=Path, help="OUT.safetensors")
    g.add_argument("--overwrite", action="store_true")
    g.set_defaults(func=_grow)
