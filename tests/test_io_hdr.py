"""HDR10 static metadata: FFmpeg's structs read by hand-packed bytes, and the encoders' notation."""

from __future__ import annotations

import struct

from videocolor.io.hdr import (
    LightLevel,
    MasteringDisplay,
    encoder_params,
    parse_light_level,
    parse_mastering_display,
)

# P3 primaries (R, G, B), D65 white, 0.0001-1000 cd/m2 as AVRationals over 50000 and 10000; both flags set.
P3_STRUCT = struct.pack(
    "=22i",
    *(34000, 50000, 16000, 50000, 13250, 50000, 34500, 50000, 7500, 50000, 3000, 50000),
    *(15635, 50000, 16450, 50000, 1, 10000, 10000000, 10000, 1, 1),
)
P3 = MasteringDisplay(
    red=(0.68, 0.32),
    green=(0.265, 0.69),
    blue=(0.15, 0.06),
    white=(0.3127, 0.329),
    min_luminance=0.0001,
    max_luminance=1000.0,
)


def test_mastering_display_is_read_from_ffmpegs_struct() -> None:
    assert parse_mastering_display(P3_STRUCT) == P3


def test_a_display_without_luminance_is_none_as_encoders_need_both_parts() -> None:
    assert parse_mastering_display(P3_STRUCT[:-4] + struct.pack("=i", 0)) is None


def test_light_level_is_read_from_ffmpegs_struct() -> None:
    assert parse_light_level(struct.pack("=2I", 1000, 400)) == LightLevel(max_cll=1000, max_fall=400)


def test_x264_and_x265_entries_are_in_sei_units_green_first_svt_av1s_in_plain_numbers() -> None:
    display = "G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1)"
    assert encoder_params("libx264", P3, LightLevel(1000, 400)) == [
        f"mastering-display={display}",
        "cll=1000,400",
    ]
    assert encoder_params("libx265", P3, LightLevel(1000, 400)) == [
        f"master-display={display}",
        "max-cll=1000,400",
    ]
    assert encoder_params("libsvtav1", P3, LightLevel(1000, 400)) == [
        "mastering-display=G(0.265,0.69)B(0.15,0.06)R(0.68,0.32)WP(0.3127,0.329)L(1000,0.0001)",
        "content-light=1000,400",
    ]  # SVT-AV1 takes plain numbers
    assert encoder_params("libx264", None, LightLevel(800, 200)) == ["cll=800,200"]
    assert encoder_params("libvpx-vp9", P3, None) is None
