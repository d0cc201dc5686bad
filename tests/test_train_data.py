"""Training data, degradations, losses and config: small pure pieces, no generator needed."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from media import make_clip

from videocolor.config import ConfigError
from videocolor.errors import InputError, WeightsError
from videocolor.train.config import DegradeConfig, LossConfig, load_train_config
from videocolor.train.data import (
    ImageCache,
    PositionBatches,
    TrainDataset,
    epoch_order,
    find_sources,
    make_loader,
    split_sources,
)
from videocolor.train.degrade import degrade_luma, luma_u8
from videocolor.train.losses import (
    ColorTerms,
    GeneratorLoss,
    VggFeatureLoss,
    colourfulness_t,
    critic_loss,
    random_affine,
    warp,
)


def write_images(folder: Path, n: int, size: tuple[int, int] = (72, 56), seed: int = 0) -> Path:
    """Colour images whose colour follows their structure (bright discs are red, the rest blue-green)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    w, h = size
    for i in range(n):
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        rgb = np.stack([20 + 40 * xx / w, 90 + 60 * yy / h, 150 + 50 * xx / w], -1)
        for _ in range(3):
            cx, cy, r = int(rng.integers(0, w)), int(rng.integers(0, h)), int(rng.integers(6, 16))
            cv2.circle(rgb, (cx, cy), r, (230, 60, 40), -1)
        rgb = np.clip(rgb + rng.normal(0, 4, rgb.shape), 0, 255).astype(np.uint8)
        cv2.imwrite(str(folder / f"img{i:03d}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return folder


def test_strength_zero_gives_the_clean_bt601_luma() -> None:
    rgb = np.random.default_rng(1).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    out = degrade_luma(rgb, DegradeConfig(strength=0.0), np.random.default_rng(0))
    expected = np.clip(0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2] + 0.5, 0, 255)
    assert np.array_equal(out, expected.astype(np.uint8))
    assert np.array_equal(out, luma_u8(rgb))


def test_degradations_are_seeded_and_change_the_input() -> None:
    rgb = np.random.default_rng(2).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    cfg = DegradeConfig(strength=1.0, tint=1, contrast=1, blur=1, grain=1, jpeg=1, scratches=1, dust=1)
    a = degrade_luma(rgb, cfg, np.random.default_rng(5))
    b = degrade_luma(rgb, cfg, np.random.default_rng(5))
    c = degrade_luma(rgb, cfg, np.random.default_rng(6))
    assert a.shape == (64, 64) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.abs(a.astype(int) - luma_u8(rgb).astype(int)).mean() > 2.0


def test_split_is_by_file_and_stable(tmp_path: Path) -> None:
    write_images(tmp_path / "set", 20)
    sources = find_sources([tmp_path / "set"])
    train, val = split_sources(sources, 0.25)
    assert len(train) + len(val) == 20 and val
    assert not {s.key for s in train} & {s.key for s in val}
    # The same files under another parent folder split the same way (keys are relative).
    (tmp_path / "copy").mkdir()
    (tmp_path / "set").rename(tmp_path / "copy" / "set")
    _, val2 = split_sources(find_sources([tmp_path / "copy" / "set"]), 0.25)
    assert [s.key for s in val2] == [s.key for s in val]


def test_missing_or_empty_data_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        find_sources([tmp_path / "nope"])
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("x")
    with pytest.raises(InputError, match="no images"):
        find_sources([tmp_path / "empty"])
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "broken.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(InputError, match="could be decoded"):
        ImageCache(find_sources([tmp_path / "bad"]), 64)


def test_video_sources_give_frames_sampled_across_the_clip(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    folder.mkdir()
    make_clip(folder / "clip.mp4", frames=30, size=(80, 60))
    cache = ImageCache(find_sources([folder]), 60, frames_per_video=3)
    assert len(cache) == 3  # every 10th of 30 frames
    assert cache.shapes.tolist() == [[60, 80]] * 3


def test_any_split_of_a_global_batch_sees_the_same_samples() -> None:
    one = PositionBatches(3, 8, accum=4, world=1, rank=0)
    it = iter(one)
    single = [next(it) for _ in range(4)]
    ranks = []
    for rank in range(2):
        it = iter(PositionBatches(3, 8, accum=2, world=2, rank=rank))
        ranks.append([next(it) for _ in range(2)])
    split = [ranks[r][a][i] for a in range(2) for r in range(2) for i in range(2)]
    assert sorted(sum(single, [])) == sorted(split) == list(range(24, 32))
    with pytest.raises(ValueError, match="divide"):
        PositionBatches(0, 6, accum=4, world=1, rank=0)


def test_samples_depend_only_on_their_position(tmp_path: Path) -> None:
    cache = ImageCache(find_sources([write_images(tmp_path / "d", 6)]), 60)
    cfg = load_train_config(None, ["data.crop=32", "model.critic_blocks=2"])
    ds = TrainDataset(cache, cfg.data, cfg.degrade, seed=3, salt=0)
    serial = [ds[p] for p in range(6, 12)]
    loader = make_loader(ds, PositionBatches(1, 6, 1, 1, 0), workers=2, pin=False, prefetch=2)
    rgb, luma = next(iter(loader))
    assert rgb.shape == (6, 3, 32, 32) and luma.shape == (6, 1, 32, 32) and rgb.dtype == torch.uint8
    assert torch.equal(rgb, torch.stack([s[0] for s in serial]))
    assert torch.equal(luma, torch.stack([s[1] for s in serial]))
    # Every image appears once per epoch.
    firsts = {int(ds._index(p)) for p in range(6)}
    assert firsts == set(range(6))


def test_near_gray_images_repeat_within_an_epoch(tmp_path: Path) -> None:
    folder = write_images(tmp_path / "d", 3)  # colourful: red discs on blue-green
    for i, level in enumerate((60, 200)):  # flat gray with a faint tint: colourfulness 0.3 x 6 = 1.8
        cv2.imwrite(str(folder / f"gray{i}.png"), np.full((40, 40, 3), (level, level, level + 6), np.uint8))
    cache = ImageCache(find_sources([folder]), 60)  # sorted by name: gray0, gray1, img000..img002
    assert list(epoch_order(cache, 1, 20.0)) == [0, 1, 2, 3, 4]
    assert list(epoch_order(cache, 3, 20.0)) == [0, 1, 2, 3, 4, 0, 0, 1, 1]
    assert list(epoch_order(cache, 3, 1.0)) == [0, 1, 2, 3, 4]  # 1.8 is not below 1
    cfg = load_train_config(None, ["data.crop=32", "model.critic_blocks=2", "data.neutral_repeat=3"])
    ds = TrainDataset(cache, cfg.data, cfg.degrade, seed=3, salt=0)
    seen = [ds._index(p) for p in range(len(ds))]
    assert len(ds) == 9 and sorted(seen) == [0, 0, 0, 1, 1, 1, 2, 3, 4]


def test_config_rejects_unknown_keys_and_bad_values() -> None:
    with pytest.raises(ConfigError, match="data.crp"):
        load_train_config(None, ["data.crp=64"])
    with pytest.raises(ConfigError, match="critic_steps"):
        load_train_config(None, ["gan.critic_steps=0"])
    with pytest.raises(ConfigError, match="phase"):
        load_train_config(None, ['run.phases=["gan", "polish"]'])
    preset = Path(__file__).resolve().parents[1] / "pipelines" / "train-nogan.toml"
    cfg = load_train_config(preset, ["gan.critic_steps=1"])
    assert cfg.gan.critic_steps == 1 and cfg.gan.betas == (0.0, 0.9)


def test_loss_is_zero_for_the_truth_and_colourfulness_matches_the_metric() -> None:
    from videocolor.metrics import colourfulness

    rgb = torch.rand(2, 3, 24, 24)
    total, parts = GeneratorLoss(LossConfig())(ColorTerms.of(rgb, rgb))
    assert float(total) < 1e-5 and set(parts) >= {"pixel", "chroma", "chroma_grad", "saturation"}
    img = (rgb[0] * 255).round().to(torch.uint8)
    expected = colourfulness(img.permute(1, 2, 0).numpy())
    assert float(colourfulness_t(img[None].float() / 255)[0]) == pytest.approx(expected, rel=1e-4)
    gray = rgb[:, :1].expand(-1, 3, -1, -1)
    worse, _ = GeneratorLoss(LossConfig())(ColorTerms.of(rgb, gray))
    assert float(worse) > 0.01


def test_critic_loss_is_bce_over_every_patch() -> None:
    logits = torch.zeros(2, 9)
    assert float(critic_loss(logits, logits)) == pytest.approx(math.log(2.0))
    assert float(critic_loss(torch.full((1, 4), 20.0), torch.full((1, 4), -20.0))) < 1e-6


def test_warp_identity_and_shift() -> None:
    g = torch.Generator().manual_seed(0)
    theta = random_affine(3, 0.0, 0.0, 32, g)
    x = torch.rand(3, 2, 32, 32)
    same, valid = warp(x, theta)
    assert torch.allclose(same, x, atol=1e-5) and bool(valid.all())
    shift = torch.tensor([[[1.0, 0.0, 2.0 * 2 / 32], [0.0, 1.0, 0.0]]])  # 2 px to the right
    moved, valid = warp(x[:1], shift)
    assert torch.allclose(moved[..., :, :-2], x[:1, ..., :, 2:], atol=1e-5)
    assert float(valid[..., -1].sum()) == 0.0


def test_vgg_feature_loss_loads_a_local_file_only(tmp_path: Path) -> None:
    from torchvision.models import vgg16_bn

    features = {f"features.{k}": v for k, v in vgg16_bn(weights=None).features.state_dict().items()}
    torch.save(features, tmp_path / "vgg.pth")
    loss = VggFeatureLoss(tmp_path / "vgg.pth")
    a, b = torch.randn(1, 3, 32, 32), torch.randn(1, 3, 32, 32)
    assert float(loss(a, a)) == 0.0 and float(loss(a, b)) > 0.0
    torch.save({"features.0.weight": torch.zeros(1)}, tmp_path / "wrong.pth")
    with pytest.raises(WeightsError, match="vgg16_bn"):
        VggFeatureLoss(tmp_path / "wrong.pth")
    with pytest.raises(WeightsError, match="not found"):
        VggFeatureLoss(tmp_path / "missing.pth")
