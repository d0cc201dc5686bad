"""videocolor.nets: registry, forward/backward of every variant, folding, weight files, critic."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from videocolor.errors import WeightsError
from videocolor.nets import (
    DEFAULT_WEIGHTS_NAME,
    Generator,
    GeneratorConfig,
    build_critic,
    build_generator,
    default_weights_path,
    get_generator_config,
    list_generators,
    load_for_training,
    load_weights,
    prepare_for_inference,
    register_generator,
    save_weights,
)


def calibrated(model: torch.nn.Module, x: torch.Tensor) -> torch.nn.Module:
    """Set every BatchNorm's running stats to the statistics of one batch, so a random eval net is sane."""
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None
    model.train()
    with torch.no_grad():
        model(x)
    return model.eval()


def test_registry_names_and_frozen_configs() -> None:
    assert {"artistic", "stable", "video", "fast", "tiny"} <= set(list_generators())
    config = get_generator_config("fast")
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.render_factor = 3  # type: ignore[misc]
    with pytest.raises(ValueError, match="already registered"):
        register_generator(get_generator_config("tiny"))
    with pytest.raises(ValueError, match="unknown generator"):
        build_generator("nope")


def test_overrides_and_config_validation() -> None:
    model = build_generator("tiny", spectral_norm=False, render_factor=6)
    assert model.config.render_factor == 6 and not model.config.spectral_norm
    assert not any(k.endswith("weight_orig") for k in model.state_dict())
    with pytest.raises(ValueError, match="decoder_widths"):
        GeneratorConfig("bad", encoder="resnet18", decoder_widths=(1, 2))


# DeOldify's variants (64M-218M parameters) are run once per module with their reference weights in
# tests/test_nets_deoldify.py, forward and backward; here every smaller member.
SMALL = [n for n in list_generators() if n not in ("artistic", "stable", "video")]


@pytest.mark.parametrize("name", SMALL)
def test_forward_and_backward_every_small_variant(name: str) -> None:
    torch.manual_seed(0)
    model = build_generator(name).train()
    x = torch.randn(2, 3, 32, 32)
    y = model(x)
    assert y.shape == x.shape and torch.isfinite(y).all()
    assert y.abs().max() < 3
    y.square().mean().backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert sum(float(g.abs().sum()) for g in grads) > 0


# DeOldify's layout (full-resolution tail: final shuffle, dense merge, res block) at a small width
MINI_DEOLDIFY = GeneratorConfig("mini", encoder="resnet18", middle_widths=(64, 64), nf_factor=0.25)


@pytest.mark.parametrize("size", [(48, 80), (37, 91)])
def test_every_layout_accepts_any_size(size: tuple[int, int]) -> None:
    for model in (build_generator("fast"), build_generator("tiny"), Generator(MINI_DEOLDIFY)):
        x = torch.randn(1, 3, *size)
        model = calibrated(model, x)
        with torch.no_grad():
            y = model(x)
        assert y.shape == x.shape and torch.isfinite(y).all()


@pytest.mark.parametrize("name", ["fast", "tiny"])
def test_prepare_for_inference_matches_unfolded(name: str) -> None:
    torch.manual_seed(1)
    x = torch.randn(2, 3, 64, 96)
    model = calibrated(build_generator(name), x)
    with torch.no_grad():
        ref = model(x)
    assert ref.std() > 0.05 and ref.abs().max() < 2.99  # not saturated: the comparison means something
    prepared = prepare_for_inference(model, "cpu")
    assert not any(k.endswith(("weight_orig", "weight_g")) for k in prepared.state_dict())
    assert not any(isinstance(m, torch.nn.BatchNorm2d) and m.training for m in prepared.modules())
    with torch.inference_mode():
        out = prepared(x.contiguous(memory_format=torch.channels_last))
    assert (out - ref).abs().max() <= 1e-4


def test_weights_roundtrip_fp16_and_fp32(tmp_path: Path) -> None:
    torch.manual_seed(2)
    x = torch.randn(1, 3, 48, 64)
    model = calibrated(build_generator("tiny"), x)
    with torch.no_grad():
        ref = model(x)
    for dtype, tol in ((torch.float32, 1e-5), (torch.float16, 2e-2)):
        path = save_weights(model, tmp_path / f"w-{dtype}.safetensors", provenance={"run": "t"}, dtype=dtype)
        loaded = load_weights(path)
        assert isinstance(loaded, Generator) and loaded.config == model.config
        assert loaded.provenance == {"run": "t"} and loaded.render_factor == model.config.render_factor
        with torch.no_grad():
            assert (loaded(x) - ref).abs().max() <= tol
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "w-torch.float16.safetensors",
        "w-torch.float32.safetensors",
    ]


@pytest.mark.parametrize("out_stride", [4, 1])  # 1: DeOldify's weight-normed final pixel shuffle
def test_a_weights_file_loads_back_into_the_training_form(tmp_path: Path, out_stride: int) -> None:
    """Fine-tuning starts from a shipped file: spectral and weight norm rebuilt, the chroma gain and knee
    left out."""
    torch.manual_seed(3)
    x = torch.randn(2, 3, 48, 64)
    widths = {4: (16,), 1: (16, 16)}[out_stride]
    config = dataclasses.replace(get_generator_config("tiny"), out_stride=out_stride, decoder_widths=widths)
    model = calibrated(Generator(config), x)
    with torch.no_grad():
        for m in model.modules():  # power iteration run to convergence: saved weights at spectral norm 1
            if hasattr(m, "weight_u"):
                u, _, vh = torch.linalg.svd(m.weight_orig.flatten(1).double())
                m.weight_u.copy_(u[:, 0]), m.weight_v.copy_(vh[0])
        ref = model(x)
    gained = Generator(dataclasses.replace(model.config, chroma_gain=1.3, chroma_knee=0.1))
    gained.load_state_dict(model.state_dict())
    path = save_weights(gained, tmp_path / "gained.safetensors", provenance={}, dtype=torch.float32)
    fresh = Generator(config)
    load_for_training(path, fresh)
    assert any(k.endswith("weight_orig") for k in fresh.state_dict())
    assert any(k.endswith("weight_g") for k in fresh.state_dict()) == (out_stride == 1)
    with torch.no_grad():
        assert (fresh.eval()(x) - ref).abs().max() <= 1e-4
    with pytest.raises(WeightsError, match="holds a tiny generator, not the fast"):
        load_for_training(path, build_generator("fast"))


def test_fast_weights_fit_in_25_mb(tmp_path: Path) -> None:
    path = save_weights(build_generator("fast"), tmp_path / "fast.safetensors", provenance={})
    assert path.stat().st_size <= 25_000_000


def test_load_weights_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="not found"):
        load_weights(tmp_path / "missing.safetensors")
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x00\x01not a safetensors file")
    with pytest.raises(WeightsError, match="not a safetensors"):
        load_weights(junk)
    from safetensors.torch import save_file

    bare = tmp_path / "bare.safetensors"
    save_file({"a": torch.zeros(1)}, str(bare))
    with pytest.raises(WeightsError, match="not a videocolor generator"):
        load_weights(bare)
    good = save_weights(build_generator("tiny"), tmp_path / "tiny.safetensors", provenance={})
    from safetensors import safe_open

    with safe_open(str(good), framework="pt") as fh:
        meta = fh.metadata()
        tensors = {k: fh.get_tensor(k) for k in fh.keys()}  # noqa: SIM118
    for name, bad_meta, pattern in (
        ("list", dict(meta, config="[1, 2]"), "malformed metadata"),
        ("unknown", dict(meta, config=meta["config"].replace('"layout"', '"shape"')), "unknown architecture"),
        (
            "invalid",
            dict(meta, config=meta["config"].replace('"out_stride": 4', '"out_stride": 3')),
            "out_stride",
        ),
    ):
        path = tmp_path / f"{name}.safetensors"
        save_file(tensors, str(path), metadata=bad_meta)
        with pytest.raises(WeightsError, match=pattern):
            load_weights(path)
    extra = dict(tensors, **{"layers.99.weight": torch.zeros(1)})
    missing = {k: v for k, v in tensors.items() if k != "layers.4.bn.weight"}
    for name, state, pattern in (
        ("extra", extra, "unexpected key.*layers.99.weight"),
        ("missing", missing, "missing key.*layers.4.bn.weight"),
    ):
        path = tmp_path / f"{name}.safetensors"
        save_file(state, str(path), metadata=meta)
        with pytest.raises(WeightsError, match=pattern) as info:
            load_weights(path)
        assert "\n" not in str(info.value)


def test_default_weights_path_honours_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIDEOCOLOR_MODELS", str(tmp_path))
    shipped = Path(__file__).resolve().parents[1] / "models" / DEFAULT_WEIGHTS_NAME
    assert default_weights_path() == (shipped if shipped.is_file() else None)
    save_weights(build_generator("tiny"), tmp_path / DEFAULT_WEIGHTS_NAME, provenance={})
    assert default_weights_path() == tmp_path / DEFAULT_WEIGHTS_NAME


def test_default_critic_is_deoldifys() -> None:
    with torch.device("meta"):
        critic = build_critic().eval()
        logits = critic(torch.empty(2, 3, 192, 192))
    assert logits.shape == (2, 81)
    assert sum(p.numel() for p in critic.parameters()) == 94_555_649
    assert {k for k in critic.state_dict() if k.startswith("4.2.")} == {
        f"4.2.{m}.weight_{s}" for m in ("query", "key", "value") for s in ("orig", "u", "v")
    } | {"4.2.gamma"}
    assert "12.0.bias" not in critic.state_dict()


@pytest.mark.parametrize(("nf", "n_blocks", "size", "patches"), [(16, 2, 64, 25), (8, 1, 48, 81)])
def test_small_critic_patch_logits(nf: int, n_blocks: int, size: int, patches: int) -> None:
    critic = build_critic(nf, n_blocks=n_blocks).train()
    x = torch.randn(2, 3, size, size, requires_grad=True)
    logits = critic(x)
    assert logits.shape == (2, patches)
    logits.mean().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_save_weights_refuses_a_prepared_model(tmp_path: Path) -> None:
    model = prepare_for_inference(build_generator("tiny"), "cpu")
    with pytest.raises(ValueError, match="before prepare_for_inference"):
        save_weights(model, tmp_path / "x.safetensors", provenance={})
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("name", SMALL)
def test_bf16_autocast_and_bf16_weights(name: str) -> None:
    """The training stage and the GPU pipeline run under bf16 autocast or with bf16 weights."""
    model = build_generator(name).train()
    x = torch.randn(2, 3, 32, 48)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y = model(x)
    y.float().square().mean().backward()
    assert y.shape == x.shape and torch.isfinite(y).all()
    prepared = prepare_for_inference(model, "cpu", dtype=torch.bfloat16)
    with torch.inference_mode():
        z = prepared(x.to(torch.bfloat16))
    assert z.dtype == torch.bfloat16 and z.shape == x.shape and torch.isfinite(z).all()


def test_deepen_keeps_the_function_and_trains_the_new_blocks() -> None:
    """fast -> fast34 (resnet34's 3/4/6 blocks): same outputs, every old tensor kept, new blocks learn."""
    from videocolor.nets.grow import deepen

    torch.manual_seed(6)
    x = torch.randn(2, 3, 64, 64)
    src = calibrated(build_generator("fast", chroma_gain=1.3, chroma_knee=0.1), x)
    grown = deepen(src, "fast34").eval()
    expected = dataclasses.replace(get_generator_config("fast34"), chroma_gain=1.3, chroma_knee=0.1)
    assert grown.config == expected
    old = src.state_dict()
    new = {k: v for k, v in grown.state_dict().items() if k not in old}
    assert all(torch.equal(grown.state_dict()[k], v) for k, v in old.items())
    # resnet34 has 1 + 2 + 4 more blocks in layer1..3 (children 4..6 of the encoder body)
    assert {k.rsplit(".", 2)[0] for k in new} == {
        "layers.0.4.2", "layers.0.5.2", "layers.0.5.3", *(f"layers.0.6.{i}" for i in range(2, 6))
    }  # fmt: skip
    with torch.no_grad():
        ref = src(x)
        assert ref.std() > 0.05 and torch.equal(grown(x), ref)
    grown.train()
    grown(x).square().mean().backward()
    assert all(
        float(grown.get_submodule(f"layers.0.6.{i}.bn2").weight.grad.abs().sum()) > 0 for i in range(2, 6)
    )
    with pytest.raises(ValueError, match="more than its encoder's depth"):
        deepen(src, "tiny")
    with pytest.raises(ValueError, match="no place for"):
        deepen(build_generator("fast34"), "fast")
