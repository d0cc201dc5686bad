"""Pick the chroma gain of a trained model on the held-out split of the TRAINING photos.

Scaling a model's predicted chroma by a gain trades colourfulness (gain > 1) against accuracy (< 1);
a knee k > 0 applies the gain in full only to saturated chroma (nets.unet.scale_chroma). This prints
RGB PSNR gain over the gray twin, colourfulness (as a share of the truth's) and the number of photos
more than 1.5 dB below their gray twin for a grid of gains per knee, on the training run's own
validation split (never the eval sets), and the rule's pick: the most colourful setting whose PSNR is
still at or above the gray twin's.

    python scripts/calibrate_chroma.py MODEL.safetensors --data .carry/train [--knees 0 0.1 0.2]

MODEL must carry gain 1 (a training export). With --gain G [--knee K] --write OUT it writes a copy of the
weights whose architecture config carries them (tensors unchanged), so every tool that loads it applies
them.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from videocolor.color import (
    MATRICES,
    chroma_of,
    fit_chroma_to_gamut,
    luma_of,
    luma_to_model_input,
    merge_chroma,
    model_output_to_rgb,
)
from videocolor.metrics.image import colourfulness, psnr
from videocolor.nets import load_weights, prepare_for_inference
from videocolor.nets.unet import scale_chroma
from videocolor.train.data import ImageCache, find_sources, split_sources, validation_batch

GAINS = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4)


def write_with_gain(src: str, dst: str, gain: float, knee: float, data: list[str]) -> None:
    from safetensors import safe_open

    with safe_open(src, framework="pt") as fh:
        meta = dict(fh.metadata())
    config = json.loads(meta["config"])
    config.update(chroma_gain=gain, chroma_knee=knee)
    meta["config"] = json.dumps(config)
    provenance = json.loads(meta["provenance"])
    provenance["chroma_gain"] = {
        "value": gain,
        "knee": knee,
        "calibrated_on": "validation split of " + ", ".join(data),
    }
    meta["provenance"] = json.dumps(provenance)
    save_file(load_file(src), dst, metadata=meta)
    print(f"wrote {dst} with chroma_gain {gain}, chroma_knee {knee}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("weights")
    ap.add_argument("--data", action="append", required=True)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--val-fraction", type=float, default=0.05)
    ap.add_argument("--limit", type=int, default=96)
    ap.add_argument("--gains", type=float, nargs="+", default=GAINS, help="the grid of gains to score")
    ap.add_argument("--knees", type=float, nargs="+", default=[0.0], help="knees to score each gain with")
    ap.add_argument("--gain", type=float, help="with --write: the chroma gain to store")
    ap.add_argument("--knee", type=float, default=0.0, help="with --write: the chroma knee to store")
    ap.add_argument("--write", help="write the weights with --gain and --knee in their config here")
    args = ap.parse_args()
    if args.write:
        write_with_gain(args.weights, args.write, args.gain, args.knee, args.data)
        return
    _, val = split_sources(find_sources(args.data), args.val_fraction)
    rgb_u8, _ = validation_batch(ImageCache(val, args.size), args.size, args.limit)
    m = MATRICES["bt601"]
    rgb = rgb_u8.float() / 255
    luma = luma_of(rgb, m).clamp(0, 1)
    model = prepare_for_inference(load_weights(args.weights), "cpu")
    with torch.inference_mode():
        outs = torch.cat([model(luma_to_model_input(b)) for b in luma.split(16)])

    def chroma_at(gain: float, knee: float) -> torch.Tensor:
        """What the pipeline shows: the model's own gain step, then the fit into the true luma's gamut."""
        rgb_out = model_output_to_rgb(scale_chroma(outs, gain, knee))
        return fit_chroma_to_gamut(luma, chroma_of(rgb_out, m), m)

    def u8(x: torch.Tensor) -> list[np.ndarray]:
        return list((x * 255).round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy())

    truth = u8(rgb)
    gray = u8(merge_chroma(luma, torch.zeros_like(luma).expand(-1, 2, -1, -1), m))
    p_gray_each = np.array([psnr(g, t) for g, t in zip(gray, truth, strict=True)])
    p_gray = p_gray_each.mean()
    cf_truth = np.mean([colourfulness(t) for t in truth])
    print(f"{len(truth)} validation photos; gray PSNR {p_gray:.2f} dB, truth colourfulness {cf_truth:.1f}")
    picks = []
    for knee in args.knees:
        for gain in args.gains:
            out = u8(merge_chroma(luma, chroma_at(gain, knee), m))
            each = np.array([psnr(o, t) for o, t in zip(out, truth, strict=True)]) - p_gray_each
            p = each.mean()
            cf = np.mean([colourfulness(o) for o in out]) / cf_truth
            print(f"knee {knee:.2f} gain {gain:.2f}: PSNR {p_gray + p:.2f} dB ({p:+.2f} vs gray), "
                  f"colourfulness {cf:.0%}, {(each < -1.5).sum()} photos > 1.5 dB below gray")  # fmt: skip
            if p >= 0:
                picks.append((cf, p, gain, knee))
    if picks:
        cf, p, gain, knee = max(picks)
        print(f"most colourful at or above gray: knee {knee:.2f} gain {gain:.2f} ({p:+.2f} dB, {cf:.0%})")


if __name__ == "__main__":
    main()
