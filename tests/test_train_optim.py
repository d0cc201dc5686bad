import pytest
import torch
from torch import nn

from videocolor.train.optim import Ema, lr_factor, set_lr


def test_lr_factor_by_hand() -> None:
    assert lr_factor(0.0, 0, 4, True) == 0.25  # warm-up: (step + 1) / warmup
    assert lr_factor(0.9, 3, 4, True) == 1.0
    assert lr_factor(0.0, 10, 4, True) == pytest.approx(1.0)  # cosine starts at 1
    assert lr_factor(0.5, 10, 4, True) == pytest.approx(0.05 + 0.95 * 0.5)
    assert lr_factor(1.0, 10, 4, True) == pytest.approx(0.05)
    assert lr_factor(2.0, 10, 4, True) == pytest.approx(0.05)  # past the end: stays at the floor
    assert lr_factor(0.7, 10, 0, False) == 1.0


def test_set_lr_sets_every_group() -> None:
    a, b = nn.Linear(1, 1), nn.Linear(1, 1)
    opt = torch.optim.SGD([{"params": a.parameters()}, {"params": b.parameters(), "lr": 5.0}], lr=1.0)
    set_lr(opt, 0.125)
    assert [g["lr"] for g in opt.param_groups] == [0.125, 0.125]


def test_ema_warm_up_and_decay_by_hand() -> None:
    model = nn.BatchNorm1d(1)
    with torch.no_grad():
        model.weight.fill_(0.0)
    ema = Ema(model, decay=0.5)
    with torch.no_grad():
        model.weight.fill_(1.0)
        model.running_mean.fill_(3.0)
    ema.update(model, step=0)  # decay min(0.5, 1/10) = 0.1: 0.1 * 0 + 0.9 * 1
    assert ema.model.weight.item() == pytest.approx(0.9)
    assert ema.model.running_mean.item() == 3.0  # buffers are copied, not averaged
    ema.update(model, step=100)  # decay min(0.5, 101/110) = 0.5: 0.5 * 0.9 + 0.5 * 1
    assert ema.model.weight.item() == pytest.approx(0.95)
    assert not ema.model.training and not ema.model.weight.requires_grad
