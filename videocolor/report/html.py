"""The debug report's files: PNGs per selected frame, a side-by-side strip, a contact sheet, CSV/JSON of the
per-frame numbers, and a self-contained HTML page (relative image links, inline SVG plot, no server)."""

from __future__ import annotations

import csv
import dataclasses
import html
import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from videocolor.report.frames import STAGES, FrameRecord, FrameShots

__all__ = ["ReportWriter"]

_STRIP = ("decoded", "model_output", "raw", "final")
_THUMB_W = 240


def _save(path: Path, rgb: np.ndarray) -> None:
    if not cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
        raise OSError(f"cannot write {path}")


def _fit(rgb: np.ndarray, height: int) -> np.ndarray:
    w = max(1, round(rgb.shape[1] * height / rgb.shape[0]))
    return cv2.resize(rgb, (w, height), interpolation=cv2.INTER_AREA)


def _label(rgb: np.ndarray, text: str) -> np.ndarray:
    """Put a caption bar above an image."""
    bar = np.full((18, rgb.shape[1], 3), 32, np.uint8)
    cv2.putText(bar, text, (4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (240, 240, 240), 1, cv2.LINE_AA)
    return np.concatenate([bar, rgb])


def _strip(shots: FrameShots) -> np.ndarray:
    height = shots.images["final"].shape[0]
    parts = [_label(_fit(shots.images[k], height), k.replace("_", " ")) for k in _STRIP]
    gap = np.full((parts[0].shape[0], 4, 3), 255, np.uint8)
    out = [parts[0]]
    for p in parts[1:]:
        out += [gap, p]
    return np.concatenate(out, axis=1)


def _contact_sheet(thumbs: list[tuple[str, np.ndarray]], columns: int = 4) -> np.ndarray:
    cells = [_label(img, text) for text, img in thumbs]
    h = max(c.shape[0] for c in cells)
    w = _THUMB_W
    rows = -(-len(cells) // columns)
    sheet = np.full((rows * (h + 4), columns * (w + 4), 3), 255, np.uint8)
    for i, c in enumerate(cells):
        r, k = divmod(i, columns)
        sheet[r * (h + 4) : r * (h + 4) + c.shape[0], k * (w + 4) : k * (w + 4) + c.shape[1]] = c
    return sheet


def _polyline(values: list[float | None], x_of: Any, y_of: Any) -> str:
    pts = [f"{x_of(i):.1f},{y_of(v):.1f}" for i, v in enumerate(values) if v is not None]
    return " ".join(pts)


def _plot(records: list[FrameRecord]) -> str:
    """Inline SVG: chroma change per frame before (red) and after (blue) smoothing, confidence (green,
    0..1 on the right axis), cuts (gray lines), selected frames (dots)."""
    width, height, pad = 900, 220, 36
    n = max(2, len(records))
    changes = [v for r in records for v in (r.change, r.raw_change) if v is not None]
    top = max(changes + [1e-6]) * 1.1

    def x_of(i: int) -> float:
        return pad + (width - 2 * pad) * i / (n - 1)

    def y_of(v: float) -> float:
        return height - pad - (height - 2 * pad) * v / top

    def y_conf(v: float) -> float:
        return height - pad - (height - 2 * pad) * v

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" role="img" aria-label="flicker over time">',
             f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>',
             f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#000"/>',
             f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#000"/>',
             f'<text x="{pad}" y="{pad - 8}" font-size="11">mean |chroma change| per frame '
             f'(max {top:.4f})</text>',
             f'<text x="{width - pad}" y="{height - 8}" font-size="11" text-anchor="end">'
             "frame</text>"]  # fmt: skip
    for r in records:
        if r.cut:
            x = x_of(r.index)
            parts.append(f'<line x1="{x:.1f}" y1="{pad}" x2="{x:.1f}" y2="{height - pad}" stroke="#999" '
                         'stroke-dasharray="3,3"/>')  # fmt: skip
    for key, colour, y in (
        ("raw_change", "#d33", y_of),
        ("change", "#36c", y_of),
        ("confidence", "#3a3", y_conf),
    ):
        pts = _polyline([getattr(r, key) for r in records], x_of, y)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.3" points="{pts}"><title>{key}'
                     "</title></polyline>")  # fmt: skip
    for r in records:
        if r.selected and r.change is not None:
            parts.append(f'<circle cx="{x_of(r.index):.1f}" cy="{y_of(r.change):.1f}" r="3" fill="#36c"/>')
    legend = [("#d33", "before smoothing"), ("#36c", "after smoothing"), ("#3a3", "confidence (0..1)"),
              ("#999", "scene cut")]  # fmt: skip
    for i, (colour, text) in enumerate(legend):
        x = width - pad - 150
        parts.append(f'<rect x="{x}" y="{pad + 14 * i}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{x + 14}" y="{pad + 9 + 14 * i}" font-size="11">{text}</text>')  # fmt: skip
    parts.append("</svg>")
    return "\n".join(parts)


_CSS = """body{font-family:sans-serif;margin:20px;max-width:1400px}img{max-width:100%;height:auto}
.frame{border-top:1px solid #ccc;padding:8px 0}.pair{display:flex;gap:8px}.pair figure{flex:1;margin:0}
.stages{display:flex;gap:6px;flex-wrap:wrap}.stages figure{margin:0;width:15%}figcaption{font-size:12px}
.pair img,.stages img{width:100%;image-rendering:pixelated}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}"""

# Reports, in the page itself, how many images loaded: what a headless browser check reads.
_CHECK = """<script>window.addEventListener('load',function(){var im=document.images,ok=0;
for(var i=0;i<im.length;i++){if(im[i].complete&&im[i].naturalWidth>0){ok++;}}
document.getElementById('imgcheck').textContent='images loaded: '+ok+'/'+im.length;});</script>"""


def _figure(src: str, caption: str) -> str:
    text = html.escape(caption)
    return f'<figure><img src="{src}" alt="{text}"><figcaption>{text}</figcaption></figure>'


class ReportWriter:
    """Writes pictures as frames arrive (memory stays bounded), then the tables and the page."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        (folder / "frames").mkdir(parents=True)
        self.records: list[FrameRecord] = []
        self.thumbs: list[tuple[str, np.ndarray]] = []
        self.selected: list[int] = []

    def add(self, record: FrameRecord, shots: FrameShots | None) -> None:
        self.records.append(record)
        if shots is None:
            return
        stem = self.folder / "frames" / f"{record.index:06d}"
        for key, img in shots.images.items():
            _save(Path(f"{stem}_{key}.png"), img)
        _save(Path(f"{stem}_strip.png"), _strip(shots))
        final = shots.images["final"]
        thumb = cv2.resize(final, (_THUMB_W, max(1, round(final.shape[0] * _THUMB_W / final.shape[1]))))
        self.thumbs.append((f"#{record.index} {record.time:.2f}s" + (" cut" if record.cut else ""), thumb))
        self.selected.append(record.index)

    def finish(self, meta: dict[str, Any], summary: dict[str, Any]) -> None:
        rows = [dataclasses.asdict(r) for r in self.records]
        with open(self.folder / "frames.csv", "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["index"])
            writer.writeheader()
            writer.writerows(rows)
        doc = {"meta": meta, "summary": summary, "frames": rows}
        (self.folder / "frames.json").write_text(json.dumps(doc, indent=1))
        if self.thumbs:
            _save(self.folder / "contact_sheet.png", _contact_sheet(self.thumbs))
        (self.folder / "index.html").write_text(self._html(meta, summary))

    def _html(self, meta: dict[str, Any], summary: dict[str, Any]) -> str:
        esc = html.escape
        by_index = {r.index: r for r in self.records}
        out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
               f"<title>videocolor frames: {esc(str(meta.get('input', '')))}</title>",
               f"<style>{_CSS}</style></head><body>",
               f"<h1>videocolor frames: {esc(Path(str(meta.get('input', ''))).name)}</h1>",
               '<p id="imgcheck">images loaded: (script not run)</p>',
               "<table>" + "".join(f"<tr><th>{esc(k)}</th><td>{esc(str(v))}</td></tr>"
                                   for k, v in {**meta, **summary}.items()) + "</table>",
               "<h2>Flicker over time</h2>", _plot(self.records),
               '<p>Files: <a href="frames.csv">frames.csv</a>, '
               '<a href="frames.json">frames.json</a>.</p>']  # fmt: skip
        if self.thumbs:
            out += ["<h2>Contact sheet</h2>", '<img src="contact_sheet.png" alt="contact sheet">']
        out.append("<h2>Selected frames</h2>")
        for i in self.selected:
            r = by_index[i]
            stem = f"frames/{i:06d}"
            numbers = (
                f"t={r.time:.3f}s, confidence {r.confidence:.2f}, "
                f"Cb {r.cb_mean:+.3f}&plusmn;{r.cb_std:.3f}, Cr {r.cr_mean:+.3f}&plusmn;{r.cr_std:.3f}"
                + (", scene cut" if r.cut else "")
                + (", smoother reset" if r.reset else "")
            )
            out += [
                f'<div class="frame" id="f{i}"><h3>Frame {i}</h3><p>{numbers}</p><div class="pair">',
                _figure(f"{stem}_raw.png", "before smoothing"),
                _figure(f"{stem}_final.png", "after (final)"),
                '</div><div class="stages">',
            ]
            out += [_figure(f"{stem}_{key}.png", caption) for key, caption in STAGES.items()]
            out.append(f'</div><p><img src="{stem}_strip.png" alt="strip"></p></div>')
        out += [_CHECK, "</body></html>"]
        return "\n".join(out)
