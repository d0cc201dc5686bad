"""Batch building blocks: job store, segment planning, input expansion, assembly by stream copy."""

from __future__ import annotations

import json
import sqlite3
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from media import make_clip, read_packets, read_video

from videocolor.batch.inputs import expand_inputs, read_manifest
from videocolor.batch.plan import SegmentOptions, plan_segments
from videocolor.batch.store import STORE_NAME, ItemState, JobStore, SegmentState, StaleTransition
from videocolor.errors import InputError, OutputError
from videocolor.io import (
    EncodeOptions,
    MediaWriter,
    PacketIndex,
    decode_frames,
    index_packets,
    join_parts,
    partial_path,
    probe,
)

# -- job store -------------------------------------------------------------------------------------


def test_store_transitions_and_recovery(tmp_path: Path) -> None:
    with JobStore(tmp_path) as store:
        row = store.upsert_item("in.mp4", "out.mp4", {"render_factor": 12}, "fp1")
        assert row.state == ItemState.PENDING and row.options == {"render_factor": 12}
        store.plan_item(row.id, [(0, 100, None, 4), (100, None, 90, 3)])
        assert store.item(row.id).state == ItemState.PLANNED and store.item(row.id).frames == 7
        first, second = store.segments(row.id)
        assert (second.start_pts, second.end_pts, second.warmup_pts) == (100, None, 90)
        store.start_segment(first.id)
        with pytest.raises(StaleTransition):
            store.start_segment(first.id)  # already RUNNING
        store.finish_segment(first.id, "p0.mp4", 1.5)
        store.start_segment(second.id)
    # A new run (as after a SIGKILL) finds the RUNNING segment and puts it back to PENDING.
    with JobStore(tmp_path) as store:
        assert store.recover() == 1
        states = [s.state for s in store.segments(row.id)]
        assert states == [SegmentState.DONE, SegmentState.PENDING]
        # Same input and options: the plan and the finished segment are kept.
        again = store.upsert_item("in.mp4", "out.mp4", {"render_factor": 12}, "fp1")
        assert again.state == ItemState.PLANNED and len(store.segments(row.id)) == 2
        # Changed options: the item starts over.
        changed = store.upsert_item("in.mp4", "out.mp4", {"render_factor": 20}, "fp2")
        assert changed.state == ItemState.PENDING and store.segments(row.id) == []


def test_store_is_locked_while_a_run_holds_it(tmp_path: Path) -> None:
    with JobStore(tmp_path), pytest.raises(OutputError, match="another batch"):
        JobStore(tmp_path)
    # Reading (status) needs no lock.
    with JobStore(tmp_path), JobStore(tmp_path, lock=False) as reader:
        assert reader.items() == []


def test_failed_item_is_retried_keeping_its_segments(tmp_path: Path) -> None:
    with JobStore(tmp_path) as store:
        row = store.upsert_item("in.mp4", "out.mp4", {}, "fp")
        store.plan_item(row.id, [(0, None, None, 5)])
        store.set_item_state(row.id, (ItemState.PLANNED,), ItemState.FAILED, error="boom")
        assert store.item(row.id).error == "boom"
        assert store.upsert_item("in.mp4", "out.mp4", {}, "fp").state == ItemState.PLANNED


# -- planning --------------------------------------------------------------------------------------


def _index(frames: int, gop: int, fps: int = 10) -> PacketIndex:
    return PacketIndex(Fraction(1, fps), tuple(range(frames)), tuple(range(0, frames, gop)))


def test_plan_cuts_at_keyframes_near_the_target() -> None:
    # 10 fps, keyframes every 5 frames (0.5 s), 120 frames; aim for 3 s segments of 2..4 s.
    plan = plan_segments(_index(120, 5), SegmentOptions(target_s=3, min_s=2, max_s=4, warmup_frames=4))
    assert [(s.start_pts, s.end_pts) for s in plan] == [(0, 30), (30, 60), (60, 90), (90, None)]
    assert [s.warmup_pts for s in plan] == [None, 26, 56, 86]
    assert [s.frames for s in plan] == [30, 30, 30, 30]


def test_plan_never_leaves_a_tail_shorter_than_min() -> None:
    plan = plan_segments(_index(75, 5), SegmentOptions(target_s=3, min_s=2, max_s=4, warmup_frames=0))
    # A cut at 60 would leave a 1.4 s tail: the second cut moves back to 50, leaving 2.4 s.
    assert [(s.start_pts, s.end_pts, s.warmup_pts) for s in plan] == [
        (0, 30, None),
        (30, 50, None),
        (50, None, None),
    ]


def test_plan_prefers_scene_cuts_and_handles_sparse_keyframes() -> None:
    opts = SegmentOptions(target_s=3, min_s=2, max_s=4)
    plan = plan_segments(_index(100, 5), opts, preferred=[25])
    assert plan[1].start_pts == 25
    # One keyframe every 5 s: segments are longer than max_s but still cut at keyframes.
    sparse = plan_segments(_index(160, 50), opts)
    assert [s.start_pts for s in sparse] == [0, 50, 100]


def test_index_packets_reads_keyframes_without_decoding(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", frames=60)
    index = index_packets(clip)
    assert len(index.pts) == 60 and index.pts == tuple(sorted(index.pts))
    assert index.keyframes[0] == index.pts[0] and len(index.keyframes) >= 2
    assert set(index.keyframes) <= set(index.pts)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
    with pytest.raises(InputError):
        index_packets(broken)


# -- inputs ----------------------------------------------------------------------------------------


def test_folders_of_scans_are_one_video_each(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    for rel in ("reel1/r_001.dpx", "reel1/r_002.dpx", "reel2/a/s_1.png", "reel2/notes.txt", ".hidden/x.png"):
        (archive / rel).parent.mkdir(parents=True, exist_ok=True)
        (archive / rel).write_bytes(b"x")
    items = expand_inputs([str(archive)], tmp_path / "out")
    assert [(i.input.relative_to(archive), i.output.relative_to(tmp_path / "out")) for i in items] == [
        (Path("reel1"), Path("reel1.mkv")),
        (Path("reel2/a"), Path("reel2/a.mkv")),
    ]
    (archive / "intro.mp4").write_bytes(b"x")  # a folder with videos: its videos, as before
    assert [i.input.name for i in expand_inputs([str(archive)], tmp_path / "out")] == ["intro.mp4"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no video files or folders of images"):
        expand_inputs([str(tmp_path / "empty")], tmp_path / "o")


def test_folder_tree_is_mirrored_and_outdir_inside_is_skipped(tmp_path: Path) -> None:
    src = tmp_path / "reels"
    (src / "a" / "b").mkdir(parents=True)
    for rel in ("one.mp4", "a/two.mkv", "a/b/three.MOV", "notes.txt"):
        (src / rel).write_bytes(b"x")
    out = src / "colour"
    out.mkdir()
    (out / "old.mp4").write_bytes(b"x")
    items = expand_inputs([str(src)], out)
    assert {(i.input.relative_to(src), i.output.relative_to(out)) for i in items} == {
        (Path("one.mp4"), Path("one.mp4")),
        (Path("a/two.mkv"), Path("a/two.mkv")),
        (Path("a/b/three.MOV"), Path("a/b/three.MOV")),
    }
    globbed = expand_inputs([str(src / "a" / "**" / "*")], tmp_path / "o")
    assert sorted(i.output.relative_to(tmp_path / "o") for i in globbed) == [
        Path("b/three.MOV"),
        Path("two.mkv"),
    ]
    with pytest.raises(InputError, match="not found"):
        expand_inputs([str(tmp_path / "nope.mp4")], out)
    with pytest.raises(OutputError, match="both write"):
        expand_inputs([str(src / "one.mp4"), str(src / "one.mp4")], tmp_path / "o")


def test_manifests_csv_and_jsonl(tmp_path: Path) -> None:
    (tmp_path / "v1.mp4").write_bytes(b"x")
    csv_path = tmp_path / "list.csv"
    csv_path.write_text("input,output,render_factor,preset\nv1.mp4,c/v1.mp4,12,preview\nv1.mp4,,,\n")
    items = read_manifest(csv_path, tmp_path / "out")
    assert items[0].output == tmp_path / "out" / "c" / "v1.mp4"
    assert items[0].options == {"render_factor": 12, "preset": "preview"}
    assert items[1].output == tmp_path / "out" / "v1.mp4" and items[1].options == {}
    jsonl = tmp_path / "list.jsonl"
    jsonl.write_text(json.dumps({"input": "v1.mp4", "output": "x.mkv", "model": "tiny"}) + "\n\n")
    (item,) = read_manifest(jsonl)
    assert item.output == tmp_path / "x.mkv" and item.options == {"model": "tiny"}
    jsonl.write_text('{"input": "v1.mp4"}\n[1]\n')
    with pytest.raises(InputError, match=r"list.jsonl:2: each line must be a JSON object"):
        read_manifest(jsonl, tmp_path)
    bare = tmp_path / "bare.csv"
    bare.write_text("input\nv1.mp4\n")
    with pytest.raises(InputError, match="no 'output'"):
        read_manifest(bare, None)


# -- assembly --------------------------------------------------------------------------------------


def _write_gray_parts(clip: Path, folder: Path, options: SegmentOptions) -> list[Path]:
    """Encode each planned segment to its own part file (luma kept, neutral chroma): no model needed."""
    info = probe(clip)
    parts = []
    for i, seg in enumerate(plan_segments(index_packets(clip), options)):
        part = folder / f"part-{i}{clip.suffix}"
        with MediaWriter(part, info, EncodeOptions(), copy_streams=False) as writer:
            ch, cw = writer.layout.chroma_size
            neutral = np.full((ch, cw), 128, np.uint8)
            for frame in decode_frames(info, window=(seg.start_pts, seg.end_pts)):
                writer.write((frame.luma, neutral, neutral), frame.pts, frame.duration)
        parts.append(part)
    return parts


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".mov"])
def test_assembly_is_a_stream_copy_with_the_original_audio(tmp_path: Path, suffix: str) -> None:
    audio = ["libopus"] if suffix == ".mkv" else ["aac"]
    clip = make_clip(tmp_path / f"in{suffix}", frames=60, audio=audio, timecode="01:00:00:00")
    parts = _write_gray_parts(clip, tmp_path, SegmentOptions(target_s=1, min_s=0.5, max_s=2))
    assert len(parts) >= 2
    out = tmp_path / f"out{suffix}"
    join_parts(clip, parts, out)
    assert not partial_path(out).exists()
    joined = read_video(out)
    source = read_video(clip)
    assert joined.pts == source.pts  # every frame, same presentation times
    pieces = [read_video(p) for p in parts]
    assert all(
        np.array_equal(a, b) for a, b in zip(joined.luma, [y for p in pieces for y in p.luma], strict=True)
    )  # no second encode: the parts' frames, bit for bit
    assert read_packets(out, "audio") == read_packets(clip, "audio")
    assert probe(out).timecode == "01:00:00:00"  # MOV/MP4: a tmcd track, built from the source's rate


def test_assembly_treats_side_streams_as_colorize_does(tmp_path: Path) -> None:
    """A stream the output container refuses is converted with a warning, not a crash of the batch."""
    clip = make_clip(tmp_path / "in.mov", frames=48, audio=["pcm_s16le"], subtitles="mov_text")
    parts = _write_gray_parts(clip, tmp_path, SegmentOptions(target_s=1, min_s=0.5, max_s=2))
    out = tmp_path / "out.mkv"
    warnings = join_parts(clip, parts, out)
    assert len(warnings) == 1 and warnings[0].startswith("subtitle stream #2 (mov_text) converted to ")
    info = probe(out)
    joined, source = read_video(out).pts, read_video(clip).pts
    assert max(abs(a - b) for a, b in zip(joined, source, strict=True)) <= 0.001  # Matroska's ms ticks
    assert read_packets(out, "audio") == read_packets(clip, "audio")
    assert [s.codec for s in info.subtitles] in (["subrip"], ["ass"])


def test_a_store_from_before_item_warnings_still_opens(tmp_path: Path) -> None:
    with JobStore(tmp_path) as store:
        store.upsert_item("in.mp4", str(tmp_path / "out.mp4"), {}, "f")
    db = sqlite3.connect(tmp_path / STORE_NAME)
    db.execute("ALTER TABLE items DROP COLUMN warnings")  # the schema before the column
    db.commit()
    db.close()
    with JobStore(tmp_path, lock=False) as reader:  # a reader leaves the file as it is
        assert [i.warnings for i in reader.items()] == [()]
    with JobStore(tmp_path) as store:  # a run adds the column
        (item,) = store.items()
        store.add_warnings(item.id, ["w", "v"])
        store.add_warnings(item.id, ["v", "u"])  # each message once, in the order first seen
        assert store.items()[0].warnings == ("w", "v", "u")
