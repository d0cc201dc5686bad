"""Print the model card's score tables (markdown) from the JSON files of scripts/evaluate_default.sh.

python scripts/summarize_eval.py runs/eval
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def _load(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() and path.stat().st_size else None


def _f(v: float | str | None, fmt: str) -> str:
    # JSON carries non-finite numbers as strings ("nan", "inf").
    return "-" if v is None or isinstance(v, str) else format(v, fmt)


def clip_rows(doc: dict, label: str) -> list[str]:
    rows = []
    for c in doc["clips"] + [dict(doc["summary"], name=f"**mean ({label})**")]:
        gain = None if c.get("psnr") is None else c["psnr"] - c["psnr_gray"]
        rows.append(
            f"| {c['name']} | {_f(c['psnr'], '.2f')} | {_f(c['psnr_gray'], '.2f')} | {_f(gain, '+.2f')} "
            f"| {_f(c.get('ssim'), '.3f')} | {_f(c['cf'], '.1f')} | {_f(c['cf_truth'], '.1f')} "
            f"| {_f(c['cf'] / c['cf_truth'] if c['cf_truth'] else None, '.0%')} | {_f(c.get('cdc'), '.4f')} "
            f"| {_f(c.get('cdc_truth'), '.4f')} | {_f(c.get('warp') and c['warp'] * 1e3, '.3f')} "
            f"| {_f(c.get('warp_truth') and c['warp_truth'] * 1e3, '.3f')} |"
        )
    return rows


HEADER = (
    "| clip | PSNR | gray | gain | SSIM | CF | CF truth | CF ratio | CDC | CDC truth | WE e-3 | WE truth |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    args = ap.parse_args()
    for stem, title in (("clips", "clips/"), ("more", "clips_more/")):
        for mode in ("flow", "none"):
            doc = _load(args.folder / f"{stem}_{mode}.json")
            if doc:
                print(f"\n### {title}, smoothing {mode}\n\n{HEADER}")
                print("\n".join(clip_rows(doc, mode)))
    docs = {p.stem[7:]: _load(p) for p in sorted(args.folder.glob("photos_*.json"))}
    docs = {k: d for k, d in docs.items() if d}
    if docs:
        print(f"\n### eval_images/ (photos)\n\n{HEADER}")
        for name, doc in docs.items():
            row = clip_rows({"clips": [], "summary": doc["summary"]}, name)[0]
            print(row.replace(f"mean ({name})", name))
        n = sum(d["summary"]["clips"] for d in docs.values())
        pooled = {
            k: sum(d["summary"][k] * d["summary"]["clips"] for d in docs.values()) / n
            for k in ("psnr", "psnr_gray", "ssim", "cf", "cf_truth")
        }
        print(clip_rows({"clips": [], "summary": pooled}, f"all {n} photos")[0])
    davis = sorted(args.folder.glob("davis_*.json"))
    if davis:
        print(f"\n### DAVIS (smoothing flow)\n\n{HEADER}")
        for p in davis:
            doc = _load(p)
            if doc:
                print("\n".join(clip_rows({"clips": doc["clips"], "summary": doc["summary"]}, p.stem)[:-1]))


if __name__ == "__main__":
    main()
