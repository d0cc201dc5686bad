"""HDR10 static metadata: the mastering display (SMPTE ST 2086) and content light level (CTA-861.3).

FFmpeg attaches both to decoded frames (from the bitstream's SEI or the container's boxes) as its C
structs; they are read here from those bytes and written back as the encoders' own options, which put
them in the output's bitstream (PyAV cannot set an output stream's side data)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = [
    "LightLevel",
    "MasteringDisplay",
    "encoder_params",
    "parse_light_level",
    "parse_mastering_display",
]

# AVMasteringDisplayMetadata: display_primaries[3][2] (R, G, B; x, y), white_point[2], min_luminance,
# max_luminance, each an AVRational (int num, int den); then int has_primaries, int has_luminance.
_MASTERING = struct.Struct("=20i2i")
# AVContentLightMetadata: unsigned MaxCLL, MaxFALL.
_LIGHT = struct.Struct("=2I")
# x264/x265's units: chromaticity in 0.00002 steps, luminance in 0.0001 cd/m2 (as in the HEVC SEI).
_XY_UNITS = 50000
_LUMINANCE_UNITS = 10000

XY = tuple[float, float]


@dataclass(frozen=True)
class MasteringDisplay:
    """The display the video was graded on: CIE 1931 xy of its primaries and white, luminance in cd/m2."""

    red: XY
    green: XY
    blue: XY
    white: XY
    min_luminance: float
    max_luminance: float


@dataclass(frozen=True)
class LightLevel:
    """Brightest pixel (MaxCLL) and brightest frame average (MaxFALL) of the content, in cd/m2."""

    max_cll: int
    max_fall: int


def parse_mastering_display(raw: bytes) -> MasteringDisplay | None:
    """From the struct's bytes; None unless both primaries and luminance are set (encoders need both)."""
    v = _MASTERING.unpack(raw[: _MASTERING.size])
    if not (v[20] and v[21]):
        return None
    ratio = [v[i] / v[i + 1] if v[i + 1] else 0.0 for i in range(0, 20, 2)]
    return MasteringDisplay(
        red=(ratio[0], ratio[1]),
        green=(ratio[2], ratio[3]),
        blue=(ratio[4], ratio[5]),
        white=(ratio[6], ratio[7]),
        min_luminance=ratio[8],
        max_luminance=ratio[9],
    )


def parse_light_level(raw: bytes) -> LightLevel:
    return LightLevel(*_LIGHT.unpack(raw[: _LIGHT.size]))


def _display_string(md: MasteringDisplay, xy_units: int | None, luminance_units: int | None) -> str:
    """G(x,y)B(x,y)R(x,y)WP(x,y)L(max,min): integers in the given units (x264/x265: those of the HEVC
    SEI), or plain numbers where the units are None (SVT-AV1)."""

    def num(value: float, units: int | None) -> str:
        return f"{value:g}" if units is None else str(round(value * units))

    def xy(point: XY) -> str:
        return f"({num(point[0], xy_units)},{num(point[1], xy_units)})"

    lum = f"L({num(md.max_luminance, luminance_units)},{num(md.min_luminance, luminance_units)})"
    return f"G{xy(md.green)}B{xy(md.blue)}R{xy(md.red)}WP{xy(md.white)}{lum}"


# Per encoder (the params option it reads: x264-params, ...): its names for the two entries, the units.
_PARAMS = {
    "libx264": ("mastering-display", "cll", _XY_UNITS, _LUMINANCE_UNITS),
    "libx265": ("master-display", "max-cll", _XY_UNITS, _LUMINANCE_UNITS),
    "libsvtav1": ("mastering-display", "content-light", None, None),
}


def encoder_params(
    codec: str, display: MasteringDisplay | None, light: LightLevel | None
) -> list[str] | None:
    """The entries of `codec`'s params option that write this metadata; None where it cannot."""
    if codec not in _PARAMS:
        return None
    display_key, light_key, xy_units, luminance_units = _PARAMS[codec]
    entries = []
    if display is not None:
        entries.append(f"{display_key}={_display_string(display, xy_units, luminance_units)}")
    if light is not None:
        entries.append(f"{light_key}={light.max_cll},{light.max_fall}")
    return entries
