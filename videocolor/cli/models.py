"""`videocolor models list | convert-deoldify`: the generator variants and DeOldify weight conversion."""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list generator variants; convert DeOldify weights")
    msub = p.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    lst = msub.add_parser("list", help="variants, sizes and where their weights come from")
    lst.set_defaults(func=run_list)
    conv = msub.add_parser(
        "convert-deoldify",
        help="convert a DeOldify .pth (ColorizeArtistic/Stable/Video_gen.pth) to a videocolor .safetensors",
    )
    conv.add_argument("input", type=Path, help="DeOldify generator file (fastai Learner.save format)")
    conv.add_argument("--variant", required=True, choices=("artistic", "stable", "video"))
    conv.add_argument("-o", "--output", type=Path, required=True, help="output .safetensors")
    conv.add_argument(
        "--dtype",
        choices=("float32", "float16"),
        default="float32",
        help="float16 halves the size (default float32)",
    )
    conv.add_argument("--overwrite", action="store_true")
    conv.set_defaults(func=run_convert)


def _weights_source(name: str) -> str:
    from videocolor.nets import DEFAULT_WEIGHTS_NAME, default_weights_path
    from videocolor.nets.deoldify import DEOLDIFY_FILES

    if name in DEOLDIFY_FILES:
        return f"DeOldify's {DEOLDIFY_FILES[name]} via `videocolor models convert-deoldify`"
    if name == "fast":
        shipped = default_weights_path()
        return (
            f"shipped: {shipped}"
            if shipped
            else f"not shipped yet ({DEFAULT_WEIGHTS_NAME}); train with `videocolor train`"
        )
    return "train with `videocolor train` (random init otherwise)"


def run_list(args: argparse.Namespace) -> int:
    import torch

    from videocolor.nets import build_generator, list_generators

    rows = [("variant", "encoder", "layout", "params", "fp16 MB", "render", "weights")]
    for name in list_generators():
        with torch.device("meta"):  # shapes only: no memory, no init time
            model = build_generator(name)
        c = model.config
        n = sum(p.numel() for p in model.parameters())
        rows.append(
            (
                name,
                f"{c.encoder}/{c.encoder_stages}",
                c.layout,
                f"{n / 1e6:.1f}M",
                f"{2 * n / 1e6:.1f}",
                f"{c.render_factor} ({c.render_factor * 16}px)",
                _weights_source(name),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[-1])
    return 0


def run_convert(args: argparse.Namespace) -> int:
    import torch

    from videocolor.io.output import check_output
    from videocolor.nets import save_weights
    from videocolor.nets.deoldify import load_deoldify_generator

    check_output(args.output, overwrite=args.overwrite, inputs=[args.input])
    model = load_deoldify_generator(args.input, args.variant)
    digest = hashlib.sha256()
    with open(args.input, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    provenance = {
        "source": "DeOldify (jantic/DeOldify), converted by videocolor models convert-deoldify",
        "variant": args.variant,
        "file": args.input.name,
        "sha256": digest.hexdigest(),
    }
    save_weights(model, args.output, provenance=provenance, dtype=getattr(torch, args.dtype))
    print(f"wrote {args.output} ({args.variant}, {args.output.stat().st_size / 1e6:.1f} MB)")
    return 0
