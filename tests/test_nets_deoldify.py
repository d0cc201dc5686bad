"""DeOldify compatibility: exact keys/shapes/dtypes, bit-compatible outputs on the reference vectors,
Learner.save files (wrapped/bare, legacy/zip serialization), legacy spectral-norm layout, refusals."""

from __future__ import annotations

import collections
import copy
import hashlib
import math
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from videocolor.errors import WeightsError
from videocolor.nets import (
    build_generator,
    get_generator_config,
    load_weights,
    prepare_for_inference,
    save_weights,
)
from videocolor.nets.deoldify import deoldify_from_state_dict, load_deoldify_generator

FIXTURES = Path(__file__).parent / "fixtures"
VECTORS = Path(__file__).resolve().parents[2] / "shared" / "deoldify" / "vectors"
needs_vectors = pytest.mark.skipif(
    not VECTORS.is_dir(), reason=f"DeOldify test vectors not found at {VECTORS}"
)


def read_keys(variant: str) -> list[tuple[str, tuple[int, ...], str]]:
    rows = []
    with open(FIXTURES / f"keys_{variant}.tsv") as fh:
        next(fh)
        for line in fh:
            key, shape, dtype = line.rstrip("\n").split("\t")
            rows.append((key, () if shape == "scalar" else tuple(int(s) for s in shape.split("x")), dtype))
    return rows


def recipe_state_dict(rows: list[tuple[str, tuple[int, ...], str]]) -> dict[str, torch.Tensor]:
    """The synthetic weights of ../shared/deoldify/vectors/README.md, rule for rule."""
    keys = [r[0] for r in rows]
    kset, idx, shapes = set(keys), {k: i for i, k in enumerate(keys)}, {r[0]: r[1] for r in rows}
    sd: dict[str, torch.Tensor] = {}
    uv: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    def gen(i: int) -> torch.Generator:
        return torch.Generator().manual_seed(i)

    def sn_uv(prefix: str) -> tuple[torch.Tensor, torch.Tensor]:
        if prefix not in uv:
            w = sd[prefix + ".weight_orig"]
            wm = w.reshape(w.shape[0], -1).double()
            kv = prefix + ".weight_v"
            v = torch.randn(shapes[kv], generator=gen(idx[kv]), dtype=torch.float64)
            v = v / v.norm()
            for _ in range(20):
                u = wm @ v
                u = u / u.norm()
                v = wm.t() @ u
                v = v / v.norm()
            u = wm @ v
            uv[prefix] = ((u / u.norm()).float(), v.float())
        return uv[prefix]

    for i, (k, shape, dt) in enumerate(rows):
        prefix, name = k.rsplit(".", 1)
        g = gen(i)
        fan_in = math.prod(shape[1:]) if len(shape) > 1 else 1
        if dt == "int64":
            t = torch.zeros(shape, dtype=torch.int64)
        elif prefix + ".running_mean" in kset:
            if name in ("weight", "bias", "running_mean"):
                t = (1.0 if name == "weight" else 0.0) + 0.1 * torch.randn(shape, generator=g)
            elif k.startswith("layers.0."):
                t = 0.5 + 1.0 * torch.rand(shape, generator=g)
            else:
                t = 0.15 + 0.1 * torch.rand(shape, generator=g)
        elif name == "gamma":
            t = 0.5 + 0.1 * torch.randn(shape, generator=g)
        elif name == "bias":
            t = 0.05 * torch.randn(shape, generator=g)
        elif prefix + ".weight_orig" in kset:
            if name == "weight_orig":
                t = torch.randn(shape, generator=g) * math.sqrt(2.0 / fan_in)
            else:
                t = sn_uv(prefix)[0 if name == "weight_u" else 1]
        elif prefix + ".weight_g" in kset:
            if name == "weight_g":
                t = math.sqrt(2.0) * (0.9 + 0.2 * torch.rand(shape, generator=g))
            else:
                t = torch.randn(shape, generator=g)
        else:
            t = torch.randn(shape, generator=g) * (0.7 / math.sqrt(fan_in))
        sd[k] = t.contiguous()
    return sd


@pytest.mark.parametrize("variant", ["artistic", "stable", "video"])
def test_state_dict_keys_shapes_dtypes_match_deoldify(variant: str) -> None:
    with torch.device("meta"):
        model = build_generator(variant)
    got = [(k, tuple(v.shape), str(v.dtype).removeprefix("torch.")) for k, v in model.state_dict().items()]
    assert got == read_keys(variant)  # same keys, same order, same shapes and dtypes


def test_stable_is_the_video_architecture() -> None:
    stable, video = get_generator_config("stable"), get_generator_config("video")
    assert (stable.render_factor, video.render_factor) == (35, 21)
    assert stable == type(stable)(**{**video.__dict__, "name": "stable", "render_factor": 35})


@pytest.fixture(scope="module")
def artistic_state() -> dict[str, torch.Tensor]:
    if not VECTORS.is_dir():
        pytest.skip(f"DeOldify test vectors not found at {VECTORS}")
    return recipe_state_dict(read_keys("artistic"))


@pytest.fixture(scope="module", params=["artistic", "video"])
def reference(request: pytest.FixtureRequest) -> tuple[str, dict[str, torch.Tensor], torch.nn.Module]:
    variant = request.param
    if variant == "artistic":  # shared with the file tests below: built once
        state = request.getfixturevalue("artistic_state")
    else:
        if not VECTORS.is_dir():
            pytest.skip(f"DeOldify test vectors not found at {VECTORS}")
        state = recipe_state_dict(read_keys(variant))
    return variant, state, deoldify_from_state_dict(state, variant)


@needs_vectors
def test_recipe_weights_are_bit_exact(reference: tuple[str, dict, torch.nn.Module]) -> None:
    variant, state, _ = reference
    with open(VECTORS / f"weights_{variant}_sha256.tsv") as fh:
        next(fh)
        expected = dict(line.rstrip("\n").split("\t") for line in fh)
    assert list(expected) == list(state)
    bad = [k for k, t in state.items() if hashlib.sha256(t.numpy().tobytes()).hexdigest() != expected[k]]
    assert not bad, f"{len(bad)} tensors differ from the recipe, first {bad[:3]}"


@needs_vectors
@pytest.mark.parametrize("size", ["64x64", "48x80"])
def test_outputs_match_deoldify(reference: tuple[str, dict, torch.nn.Module], size: str) -> None:
    variant, _, model = reference
    x = torch.from_numpy(np.load(VECTORS / f"in_{size}.npy"))
    want = torch.from_numpy(np.load(VECTORS / f"out_{variant}_{size}.npy"))
    with torch.no_grad():
        got = model(x)
    assert got.shape == want.shape
    assert (got - want).abs().max() <= 1e-4


@needs_vectors
def test_folded_and_converted_match_unfolded(
    reference: tuple[str, dict, torch.nn.Module], tmp_path: Path
) -> None:
    """Odd skip sizes (48x80 -> 3x5 at 1/16), folding, and the safetensors conversion keep the outputs
    (the conversion is checked on artistic only: writing 870 MB for video adds time, not coverage)."""
    variant, _, model = reference
    x = torch.from_numpy(np.load(VECTORS / "in_48x80.npy"))
    with torch.no_grad():
        ref = model(x)
        if variant == "artistic":
            path = save_weights(
                model, tmp_path / "w.safetensors", provenance={"source": "recipe"}, dtype=torch.float32
            )
            converted = load_weights(path)
            assert (converted(x) - ref).abs().max() <= 1e-4
            del converted
        prepared = prepare_for_inference(copy.deepcopy(model), "cpu")
    with torch.inference_mode():
        assert (prepared(x.contiguous(memory_format=torch.channels_last)) - ref).abs().max() <= 1e-4


@needs_vectors
def test_backward_through_deoldify_variant(reference: tuple[str, dict, torch.nn.Module]) -> None:
    _, _, model = reference
    x = torch.from_numpy(np.load(VECTORS / "in_64x64.npy")).requires_grad_()
    model(x).square().mean().backward()
    grads = [p.grad for p in model.parameters()]
    model.zero_grad(set_to_none=True)
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert x.grad is not None and x.grad.abs().sum() > 0


# --- Learner.save files -------------------------------------------------------------------------------------


def fastai_save(path: Path, state: dict[str, torch.Tensor], *, wrapped: bool, legacy: bool) -> Path:
    sd = collections.OrderedDict(state)
    obj = (
        {"model": sd, "opt": {"state": {}, "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.99)}]}}
        if wrapped
        else sd
    )
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
    return path


@needs_vectors
@pytest.mark.parametrize(("wrapped", "legacy"), [(True, True), (False, True), (False, False)])
def test_load_learner_save_files(artistic_state: dict, tmp_path: Path, wrapped: bool, legacy: bool) -> None:
    path = fastai_save(tmp_path / "ColorizeArtistic_gen.pth", artistic_state, wrapped=wrapped, legacy=legacy)
    model = load_deoldify_generator(path, "artistic")
    assert not model.training
    x = torch.from_numpy(np.load(VECTORS / "in_64x64.npy"))
    with torch.no_grad():
        assert (model(x) - torch.from_numpy(np.load(VECTORS / "out_artistic_64x64.npy"))).abs().max() <= 1e-4


@needs_vectors
def test_legacy_spectral_norm_layout(artistic_state: dict, tmp_path: Path) -> None:
    """Pre-1.0 torch stored weight_orig, weight (= weight_orig / sigma) and weight_u, no weight_v."""
    state = dict(artistic_state)
    for key in [k for k in state if k.endswith(".weight_orig")]:
        prefix = key[: -len("weight_orig")]
        w = state[key].reshape(state[key].shape[0], -1)
        sigma = torch.dot(state[prefix + "weight_u"], w @ state.pop(prefix + "weight_v"))
        state[prefix + "weight"] = state[key] / sigma
    for key in [k for k in state if k.endswith("num_batches_tracked")]:
        del state[key]
    model = load_deoldify_generator(
        fastai_save(tmp_path / "old.pth", state, wrapped=True, legacy=True), "artistic"
    )
    x = torch.from_numpy(np.load(VECTORS / "in_64x64.npy"))
    with torch.no_grad():
        assert (model(x) - torch.from_numpy(np.load(VECTORS / "out_artistic_64x64.npy"))).abs().max() <= 1e-4


@needs_vectors
def test_missing_extra_and_wrong_variant_keys_are_named(artistic_state: dict, tmp_path: Path) -> None:
    missing = {k: v for k, v in artistic_state.items() if k != "layers.5.conv2.3.gamma"}
    extra = dict(artistic_state, **{"layers.13.weight": torch.zeros(3)})
    cases = [
        (missing, "artistic", r"expected DeOldify artistic.*missing key.*layers\.5\.conv2\.3\.gamma"),
        (extra, "artistic", r"unexpected key.*layers\.13\.weight"),
        (artistic_state, "video", r"expected DeOldify video.*missing key"),
    ]
    for i, (state, variant, pattern) in enumerate(cases):
        path = fastai_save(tmp_path / f"bad{i}.pth", state, wrapped=True, legacy=True)
        with pytest.raises(WeightsError, match=pattern) as info:
            load_deoldify_generator(path, variant)
        assert "\n" not in str(info.value)
        path.unlink()


class _Evil:
    def __reduce__(self) -> tuple:
        return (os.system, ("touch pwned-by-pickle",))


def test_malicious_pickle_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pth"
    torch.save({"model": {"layers.0.0.weight": torch.zeros(1)}, "opt": _Evil()}, path)
    with pytest.raises(WeightsError, match="refused") as info:
        load_deoldify_generator(path, "artistic")
    assert "\n" not in str(info.value) and "weights_only" not in str(info.value)
    assert not (tmp_path / "pwned-by-pickle").exists()


def test_not_a_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="not found"):
        load_deoldify_generator(tmp_path / "nope.pth", "video")
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"this is not a torch file")
    with pytest.raises(WeightsError, match="not a PyTorch checkpoint"):
        load_deoldify_generator(junk, "video")
    png = tmp_path / "photo.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    with pytest.raises(WeightsError, match="not a PyTorch checkpoint"):
        load_deoldify_generator(png, "video")
    torch.save([1, 2, 3], tmp_path / "list.pth")
    with pytest.raises(WeightsError, match="not a state dict"):
        load_deoldify_generator(tmp_path / "list.pth", "video")
    with pytest.raises(WeightsError, match="unknown DeOldify variant"):
        load_deoldify_generator(junk, "vid")


@needs_vectors
def test_convert_deoldify_cli(
    artistic_state: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from videocolor.cli.main import main

    src = fastai_save(tmp_path / "ColorizeArtistic_gen.pth", artistic_state, wrapped=True, legacy=True)
    out = tmp_path / "artistic.safetensors"
    assert main(["models", "convert-deoldify", str(src), "--variant", "artistic", "-o", str(out)]) == 0
    model = load_weights(out)
    assert model.render_factor == 35 and model.provenance["variant"] == "artistic"
    assert len(model.provenance["sha256"]) == 64
    x = torch.from_numpy(np.load(VECTORS / "in_64x64.npy"))
    with torch.no_grad():
        assert (model(x) - torch.from_numpy(np.load(VECTORS / "out_artistic_64x64.npy"))).abs().max() <= 1e-4
    del model
    before = out.stat().st_mtime_ns
    capsys.readouterr()
    # an existing output, the input as output, and the wrong variant: one-line errors, nothing written
    bad_out = tmp_path / "video.safetensors"
    for argv in (
        [str(src), "--variant", "artistic", "-o", str(out)],
        [str(src), "--variant", "artistic", "-o", str(src)],
        [str(src), "--variant", "video", "-o", str(bad_out)],
    ):
        assert main(["models", "convert-deoldify", *argv]) == 2
        err = capsys.readouterr().err
        assert err.startswith("videocolor: error: ") and err.count("\n") == 1
    assert out.stat().st_mtime_ns == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ColorizeArtistic_gen.pth", "artistic.safetensors"]


def test_models_list_cli(capsys: pytest.CaptureFixture[str]) -> None:
    from videocolor.cli.main import main

    assert main(["models", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {"artistic", "stable", "video", "fast", "fast34", "tiny"}
    assert "218.2M" in rows["video"] and "63.6M" in rows["artistic"]
    assert "ColorizeVideo_gen.pth" in rows["video"]
