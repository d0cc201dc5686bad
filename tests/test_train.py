"""Training stage end to end on the `tiny` generator: every phase, export, resume, critic steps, DDP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from test_train_data import write_images

from videocolor.cli.main import main
from videocolor.errors import OutputError
from videocolor.nets import DEFAULT_WEIGHTS_NAME
from videocolor.train import export_checkpoint, load_checkpoint, load_train_config, run_training

TINY = [
    'model.generator="tiny"',
    "model.critic_nf=8",
    "model.critic_blocks=2",
    "data.crop=32",
    "data.batch_size=4",
    "data.workers=0",
    "data.val_fraction=0.2",
    "data.val_max=4",
    "run.val_every=2",
    "run.ckpt_every=2",
    "run.log_every=1",
    "run.grid_images=2",
    "pretrain_gen.steps=2",
    "pretrain_gen.warmup=0",
    "pretrain_critic.steps=2",
    "pretrain_critic.warmup=0",
    "gan.steps=2",
]


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_images(tmp_path_factory.mktemp("train") / "photos", 10)


def _opt_steps(opt_state: dict) -> int:
    """Optimizer steps actually taken, as AdamW itself counts them (its per-parameter `step`)."""
    return int(next(iter(opt_state["state"].values()))["step"])


def test_every_phase_then_export_and_colorize_a_clip(images: Path, tmp_path: Path) -> None:
    from media import make_clip

    from videocolor.nets import load_weights
    from videocolor.pipeline import ColorizeOptions, colorize_video

    run = tmp_path / "run"
    args = ["train", "run", "--data", str(images), "--out", str(run), "--device", "cpu"]
    assert main(args + [x for s in TINY for x in ("--set", s)] + ["--no-export"]) == 0
    for phase in ("pretrain_gen", "pretrain_critic", "gan"):
        state = load_checkpoint(run / "ckpt" / f"{phase}.pt")
        assert state["finished"] and state["step"] == 2
    records = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    val = [r for r in records if r["kind"] == "val" and r["phase"] == "gan"]
    assert val and {"chroma_psnr", "rgb_psnr", "gray_psnr", "cf_ratio", "score"} <= set(val[-1])
    assert (run / "val-gan.csv").is_file() and (run / "samples" / "gan-000002.png").is_file()

    out = tmp_path / "model.safetensors"
    assert main(["train", "export", str(run / "ckpt" / "gan-best.pt"), "-o", str(out)]) == 0
    model = load_weights(out, device="cpu")
    assert model.config.name == "tiny"
    assert all(p.dtype == torch.float16 for p in load_checkpoint_tensors(out))
    # The best checkpoint keeps raw and EMA weights; the EMA (what validation scored) is the default.
    raw = tmp_path / "raw.safetensors"
    assert main(["train", "export", str(run / "ckpt" / "gan-best.pt"), "-o", str(raw), "--no-ema"]) == 0
    assert [_provenance(f)["ema"] for f in (out, raw)] == [True, False]
    pairs = zip(load_checkpoint_tensors(out), load_checkpoint_tensors(raw), strict=True)
    assert not all(torch.equal(a, b) for a, b in pairs)
    # An existing output is refused and left untouched.
    before = out.read_bytes()
    with pytest.raises(OutputError, match="exists"):
        export_checkpoint(run / "ckpt" / "gan.pt", out)
    assert out.read_bytes() == before

    clip, colour = tmp_path / "gray.mp4", tmp_path / "colour.mp4"
    make_clip(clip, frames=4, size=(48, 32))
    report = colorize_video(clip, colour, ColorizeOptions(weights=str(out), device="cpu", batch_size=2))
    assert report.frames == 4 and colour.is_file()


def load_checkpoint_tensors(path: Path) -> list[torch.Tensor]:
    from safetensors.torch import load_file

    return [t for t in load_file(str(path)).values() if t.is_floating_point()]


def _provenance(path: Path) -> dict:
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as fh:
        return json.loads(fh.metadata()["provenance"])


@pytest.mark.parametrize("critic_steps", [None, 1])
def test_critic_optimizer_steps_per_generator_step(
    images: Path, tmp_path: Path, critic_steps: int | None
) -> None:
    args = ["train", "run", "--data", str(images), "--out", str(tmp_path), "--device", "cpu", "--no-export"]
    args += [x for s in TINY + ["gan.steps=3", 'run.phases=["gan"]'] for x in ("--set", s)]
    if critic_steps is not None:
        args += ["--critic-steps", str(critic_steps)]
    assert main(args) == 0
    state = load_checkpoint(tmp_path / "ckpt" / "gan.pt")
    per_gen = 2 if critic_steps is None else critic_steps
    assert _opt_steps(state["opt_g"]) == 3
    assert _opt_steps(state["opt_c"]) == 3 * per_gen


def test_resume_is_exact(images: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    overrides = TINY + ["run.val_every=1", "loss.temporal=0.5"]
    cfg = load_train_config(None, overrides)
    run_training(cfg, [images], tmp_path / "straight", device="cpu", export=False)
    split = tmp_path / "split"
    cli = ["train", "run", "--data", str(images), "--out", str(split), "--device", "cpu", "--no-export"]
    assert main(cli + [x for s in overrides for x in ("--set", s)] + ["--stop-at", "pretrain_gen:1"]) == 0
    assert "stopped in pretrain_gen as --stop-at asked (checkpointed)" in capsys.readouterr().out
    assert not load_checkpoint(split / "ckpt" / "pretrain_gen.pt")["finished"]
    run_training(cfg, [images], split, device="cpu", stop_at=("gan", 1), export=False)
    assert load_checkpoint(split / "ckpt" / "gan.pt")["step"] == 1
    run_training(cfg, [images], split, device="cpu", export=False)
    for phase, keys in (("pretrain_gen", ("generator", "ema")), ("gan", ("generator", "ema", "critic"))):
        a = load_checkpoint(tmp_path / "straight" / "ckpt" / f"{phase}.pt")
        b = load_checkpoint(split / "ckpt" / f"{phase}.pt")
        assert a["step"] == b["step"] == 2
        for key in keys:
            assert a[key].keys() == b[key].keys()
            assert all(torch.equal(a[key][k], b[key][k]) for k in a[key]), f"{phase} {key} differs"
        assert all(
            torch.equal(x, y)
            for s, t in zip(a["opt_g"]["state"].values(), b["opt_g"]["state"].values(), strict=True)
            for x, y in zip(s.values(), t.values(), strict=True)
        )


def test_fine_tuning_starts_from_a_weights_file(images: Path, tmp_path: Path, capsys) -> None:
    """model.init: generator pretraining starts from a file's weights (lr 0 here, so it stays there)."""
    from safetensors.torch import load_file

    from videocolor.nets import build_generator, load_for_training, save_weights
    from videocolor.nets.inference import fold_norms

    torch.manual_seed(5)
    init = save_weights(build_generator("tiny"), tmp_path / "init.safetensors", provenance={})
    expected = build_generator("tiny")
    load_for_training(init, expected)
    expected = fold_norms(expected.eval()).state_dict()
    overrides = TINY + [
        f"model.init={json.dumps(str(init))}",
        "pretrain_gen.lr=0",
        'run.phases=["pretrain_gen"]',
    ]
    result = run_training(load_train_config(None, overrides), [images], tmp_path / "run", device="cpu")
    tuned = load_file(str(result.exported))
    learned = [k for k in expected if "running_" not in k and "num_batches" not in k]  # BN stats still move
    assert learned and all(
        torch.allclose(tuned[k].float(), expected[k], rtol=1e-2, atol=1e-3) for k in learned
    )
    # A file of another architecture is a one-line error, before any data is read.
    capsys.readouterr()
    args = ["train", "run", "--data", str(images), "--out", str(tmp_path / "r"), "--device", "cpu"]
    wrong = [f"model.init={json.dumps(str(Path(__file__).parents[1] / 'models' / DEFAULT_WEIGHTS_NAME))}"]
    assert main(args + [x for s in TINY + wrong for x in ("--set", s)]) != 0
    err = capsys.readouterr().err.strip()
    assert "holds a fast generator, not the tiny being trained" in err and len(err.splitlines()) == 1, err


def test_loss_falls_when_overfitting_a_few_images(tmp_path: Path) -> None:
    few = write_images(tmp_path / "few", 4, seed=7)
    cfg = load_train_config(
        None,
        TINY
        + [
            "data.val_fraction=0.0",
            "degrade.strength=0.0",
            "data.scale_min=1.0",
            "data.ratio_jitter=1.0",
            "pretrain_gen.steps=40",
            "pretrain_gen.lr=3e-3",
            "run.ckpt_every=100",
            'run.phases=["pretrain_gen"]',
        ],
    )
    run_training(cfg, [few], tmp_path / "run", device="cpu", export=False)
    records = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in records if r["kind"] == "train"]
    assert len(losses) == 40
    first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    assert last < 0.75 * first, (first, last)


def test_ddp_two_cpu_processes_match_one_process(images: Path, tmp_path: Path) -> None:
    base = [sys.executable, "-m"]
    cli = ["videocolor.cli.main", "train", "run", "--data", str(images), "--device", "cpu", "--no-export"]
    cli += [x for s in TINY + ["gan.steps=2"] for x in ("--set", s)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    one = subprocess.run(
        base + cli + ["--out", str(tmp_path / "one"), "--set", "run.accum_steps=2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert one.returncode == 0, one.stderr[-2000:]
    ddp = subprocess.run(
        base
        + ["torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
        + ["-m"]
        + cli
        + ["--out", str(tmp_path / "ddp")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ddp.returncode == 0, ddp.stderr[-2000:]
    # Accumulating 2 micro-batches does what 2 DDP ranks do (BatchNorm stats and spectral-norm iterations
    # from the first chunk, dropout seeded per chunk), so the pretraining phases agree bit for bit. In the
    # GAN phase Adam with beta1 = 0 turns rounding-level gradient differences into lr-sized steps.
    for phase, key, atol in (
        ("pretrain_gen", "generator", 0.0),
        ("pretrain_critic", "critic", 0.0),
        ("gan", "generator", 1e-3),
        ("gan", "critic", 1e-3),
    ):
        a = load_checkpoint(tmp_path / "one" / "ckpt" / f"{phase}.pt")[key]
        b = load_checkpoint(tmp_path / "ddp" / "ckpt" / f"{phase}.pt")[key]
        for k in a:
            if a[k].is_floating_point():
                assert torch.allclose(a[k], b[k], rtol=0.0, atol=atol), f"{phase} {key} {k}"


def test_training_imports_and_runs_without_pyav(images: Path, tmp_path: Path) -> None:
    overrides = [*TINY, 'run.phases=["pretrain_gen"]']
    code = (
        "import sys; sys.modules['av'] = None\n"
        "from videocolor.train import load_train_config, run_training\n"
        f"cfg = load_train_config(None, {overrides!r})\n"
        f"run_training(cfg, [{str(images)!r}], {str(tmp_path / 'run')!r}, device='cpu')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "run" / "model.safetensors").is_file()


@pytest.mark.parametrize(("thresh", "per_gen"), [(10.0, 1), (0.0, 3)])
def test_adaptive_switch_trains_the_critic_until_its_loss_is_low(
    images: Path, tmp_path: Path, thresh: float, per_gen: int
) -> None:
    # DeOldify's AdaptiveGANSwitcher: the critic steps until its loss < threshold (capped), then the gen.
    overrides = TINY + ['run.phases=["gan"]', "gan.adaptive=true", f"gan.critic_thresh={thresh}"]
    cfg = load_train_config(None, [*overrides, "gan.max_critic_steps=3"])
    run_training(cfg, [images], tmp_path, device="cpu", export=False)
    state = load_checkpoint(tmp_path / "ckpt" / "gan.pt")
    assert _opt_steps(state["opt_g"]) == 2
    assert _opt_steps(state["opt_c"]) == 2 * per_gen


def test_bad_run_settings_are_one_line_errors(images: Path, tmp_path: Path, capsys) -> None:
    base = ["train", "run", "--data", str(images), "--out", str(tmp_path / "r"), "--device", "cpu"]
    base += [x for s in TINY for x in ("--set", s)]
    for extra, message in [
        (["--set", "data.crop=16"], "data.crop 16 is too small for a critic of 2 blocks (at least 32"),
        (["--stop-at", "gen:3"], "--stop-at must be [PHASE:]STEP with PHASE one of pretrain_gen"),
        (["--max-minutes", "-1"], "--max-minutes must be > 0, got -1"),
    ]:
        assert main(base + extra) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err
    # Generator pretraining alone has no critic, so a small crop is fine there.
    assert main(base + ["--set", "data.crop=16", "--phases", "pretrain_gen", "--no-export"]) == 0


def test_grow_writes_a_deeper_generator_that_colorizes_the_same(tmp_path: Path, capsys) -> None:
    """`train grow`: a fast file -> fast34 with the same outputs, ready as model.init for fast34."""
    from safetensors.torch import load_file

    from videocolor.nets import build_generator, load_for_training, load_weights, save_weights

    torch.manual_seed(7)
    src = save_weights(build_generator("fast"), tmp_path / "fast.safetensors", provenance={"run": "a"})
    same = build_generator("fast")  # what training from `src` would start from
    load_for_training(src, same)
    ref = save_weights(same, tmp_path / "ref.safetensors", provenance={})
    out = tmp_path / "fast34.safetensors"
    assert main(["train", "grow", str(src), "--generator", "fast34", "-o", str(out)]) == 0
    grown, before = load_file(str(out)), load_file(str(ref))
    assert all(torch.equal(grown[k], v) for k, v in before.items()) and len(grown) > len(before)
    model = load_weights(out)
    assert model.config.name == "fast34" and model.provenance["grown_from"] == "fast.safetensors"
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(model(x), load_weights(ref)(x))
    load_for_training(out, build_generator("fast34"))  # accepted as model.init of a fast34 run
    capsys.readouterr()
    for args, message in (
        ([str(src), "--generator", "fast34", "-o", str(out)], "exists (use --overwrite)"),
        ([str(src), "--generator", "tiny", "-o", str(tmp_path / "t.safetensors")], "more than its encoder"),
        ([str(tmp_path / "none.safetensors"), "--generator", "fast34", "-o", str(tmp_path / "n.safetensors")],
         "not found"),
    ):  # fmt: skip
        assert main(["train", "grow", *args]) != 0
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "fast.safetensors",
        "fast34.safetensors",
        "ref.safetensors",
    ]
