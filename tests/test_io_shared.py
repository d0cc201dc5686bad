"""Real-world odd media (../shared/data/odd_media): every file decodes to the frame count ODD_MEDIA.md
gives, or is refused with a one-line InputError, as that table says."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from test_io import _copy_luma

from videocolor.errors import InputError
from videocolor.io import decode_frames, index_packets, probe

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
TABLE = SHARED / "ODD_MEDIA.md"
# The two awkward names the table asks tests to recreate (stored under safe names).
AWKWARD = {"oddname_brackets.flv": "te[s]t_ video ' _ .flv", "oddname_dash.mp4": "-video-with-dash-.mp4"}

pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(not TABLE.exists(), reason=f"{TABLE} not present (../shared is not mounted here)"),
]


def _rows() -> list[tuple[str, str]]:
    if not TABLE.exists():
        return []
    rows = []
    for line in TABLE.read_text().splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 4 and (SHARED / "odd_media" / cells[1]).is_file():
            rows.append((cells[1], cells[3]))
    return rows


def _decode_count(path: Path) -> int:
    return sum(1 for _ in decode_frames(probe(path)))


@pytest.mark.parametrize(("name", "expected"), _rows(), ids=[r[0] for r in _rows()])
def test_odd_media_decodes_or_is_refused(tmp_path: Path, name: str, expected: str) -> None:
    path = SHARED / "odd_media" / name
    if name in AWKWARD:
        path = Path(shutil.copy(path, tmp_path / AWKWARD[name]))
    count = re.search(r"colorize:? (\d+) frames?", expected) or re.search(r"colorize (\d+) frames?", expected)
    if expected.startswith("must refuse"):
        with pytest.raises(InputError):
            _decode_count(path)
    elif expected.startswith("either"):
        try:
            assert _decode_count(path) == int(count.group(1))  # type: ignore[union-attr]
        except InputError as exc:
            assert "\n" not in str(exc)
    else:
        assert count is not None, expected
        assert _decode_count(path) == int(count.group(1))
        # The batch plans segments from the packet index: it must count what decodes (edit lists, mid-GOP).
        assert len(index_packets(path).pts) == int(count.group(1))


def test_closed_captions_keep_their_own_times_when_converted(tmp_path: Path) -> None:
    """CEA-608's decoder hands each cue out with a later packet and the last one only when flushed."""
    import av

    src = SHARED / "odd_media" / "mp4ff__multitrack_main_1_cea608.mp4"
    with av.open(str(src)) as container:
        stream = container.streams.subtitles[0]
        cues = [c for p in container.demux(stream) if (c := stream.codec_context.decode2(p))]
    expected = [round(c.pts / 1e6 + c.start_display_time / 1e3, 3) for c in cues]
    _copy_luma(src, tmp_path / "out.mkv")
    with av.open(str(tmp_path / "out.mkv")) as out:
        got = [round(float(p.pts * p.time_base), 3) for p in out.demux(out.streams.subtitles[0]) if p.size]
    assert len(expected) == 8 and got == expected


def test_an_absurd_average_rate_gives_way_to_the_packets_own_rate() -> None:
    """This Matroska file's average_rate is 1000 (its time base); its frames are 33 ms apart."""
    info = probe(SHARED / "odd_media" / "exoplayer__sample_with_ssa_subtitles.mkv")
    assert 29 < info.fps < 31.5


def test_an_interlaced_tape_transfer_stays_interlaced_in_its_field_order(tmp_path: Path) -> None:
    """MPEG-2 from NTSC tape, bottom field first: the H.264 output is coded bottom field first too."""
    src = SHARED / "odd_media" / "interlace-patterns__bt601-525_480_interlaced_bff_first3.5s.ts"
    assert probe(src).field_order == "bb"
    writer = _copy_luma(src, tmp_path / "out.mkv")
    assert writer.warnings == [] and probe(tmp_path / "out.mkv").field_order == "bb"


def test_hdr10_metadata_from_an_av1_mp4s_boxes_is_written_into_the_h264_output(tmp_path: Path) -> None:
    """ExoPlayer's sample: AV1 10-bit PQ with mdcv and clli boxes; x264 writes them as SEI."""
    src = probe(SHARED / "odd_media" / "exoplayer__sample_with_colr_mdcv_and_clli.mp4")
    assert src.light_level is not None and (src.light_level.max_cll, src.light_level.max_fall) == (1100, 180)
    assert src.mastering_display is not None and src.mastering_display.max_luminance == 1000
    writer = _copy_luma(src.path, tmp_path / "out.mp4")
    out = probe(tmp_path / "out.mp4")
    assert writer.warnings == [] and (out.codec, out.bit_depth, out.transfer) == ("h264", 10, "smpte2084")
    assert (out.mastering_display, out.light_level) == (src.mastering_display, src.light_level)


@pytest.mark.parametrize(
    ("name", "timecode"),
    [
        ("interlace-patterns__bt601-525_480_interlaced_bff_first3.5s.ts", "00:00:00;00"),  # MPEG-2 GOP header
        ("mediabunny__no-initial-keyframe.ts", "00:01:54:01"),  # H.264 picture timing SEI
    ],
)
def test_a_timecode_only_in_the_bitstream_is_kept_as_the_outputs_start_timecode(
    tmp_path: Path, name: str, timecode: str
) -> None:
    assert probe(SHARED / "odd_media" / name).timecode == timecode
    _copy_luma(SHARED / "odd_media" / name, tmp_path / "out.mov")
    assert probe(tmp_path / "out.mov").timecode == timecode  # a tmcd track


def test_dolby_vision_metadata_lost_in_the_re_encode_is_said(tmp_path: Path) -> None:
    """An iPhone clip: Dolby Vision's per-frame RPU over an HLG base layer; the HLG picture is kept."""
    writer = _copy_luma(SHARED / "odd_media" / "exoplayer__dolbyVision-hdr.MOV", tmp_path / "out.mov")
    assert "the output loses the video stream's Dolby Vision metadata" in writer.warnings[0]
    assert probe(tmp_path / "out.mov").transfer == "arib-std-b67"


def test_a_dropped_data_stream_is_named_in_a_warning(tmp_path: Path) -> None:
    """SCTE-35 cues in a TS are not copied (a MOV/MP4 timecode track, rebuilt, gives no warning)."""
    writer = _copy_luma(SHARED / "odd_media" / "exoplayer__sample_scte35.ts", tmp_path / "out.ts")
    assert writer.warnings == [
        "data stream(s) #2 not copied: only audio, subtitle and attachment streams are"
    ]


CLIPS = sorted(p for d in ("clips", "clips_more") if (SHARED / d).is_dir() for p in (SHARED / d).iterdir())


@pytest.mark.parametrize("path", CLIPS, ids=[p.name for p in CLIPS])
def test_the_packet_index_counts_the_frames_that_decode(path: Path) -> None:
    """The batch plans segments from it (VP8 in WebM stores hidden alt-ref frames as packets of their own)."""
    assert len(index_packets(path).pts) == _decode_count(path)
