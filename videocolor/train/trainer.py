"""The training loop: NoGAN generator pretraining, critic pretraining, then GAN training.

One code path for CPU, one GPU and several (``torchrun``: DDP over gloo on CPU, nccl on GPU). Each phase
keeps ``RUN/ckpt/<phase>.pt`` (models, optimizers, scaler, EMA, RNG states, step, data position) and
resumes from it; a finished phase is skipped when the same command runs again.
"""

from __future__ import annotations

import contextlib
import csv
import json
import logging
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import cv2
import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
from tqdm import tqdm

from videocolor.color import chroma_of, luma_to_model_input, model_output_to_rgb
from videocolor.config import config_to_dict
from videocolor.metrics.image import colourfulness, psnr
from videocolor.nets.inference import spectral_norm_of
from videocolor.runtime import cpu_has_native_bf16
from videocolor.train.checkpoint import (
    atomic_write_bytes,
    export_checkpoint,
    load_checkpoint,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from videocolor.train.config import PHASES, TrainConfig
from videocolor.train.data import (
    ImageCache,
    PositionBatches,
    TrainDataset,
    find_sources,
    make_loader,
    split_sources,
    validation_batch,
)
from videocolor.train.distributed import Env, all_mean, any_rank, setup_env, unwrap
from videocolor.train.losses import (
    BT601,
    ColorTerms,
    GeneratorLoss,
    critic_loss,
    generator_adv_loss,
    normalise,
    random_affine,
    warp,
)
from videocolor.train.optim import Ema, lr_factor, set_lr

__all__ = ["RunResult", "run_training"]

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass
class RunResult:
    out: Path
    phases: dict[str, dict[str, Any]] = field(default_factory=dict)  # phase -> last validation metrics
    exported: Path | None = None
    stopped: str | None = None  # the phase that --stop-at interrupted (checkpointed, resumable)


@dataclass
class _Loop:
    """One phase's step loop: its resumable counters, wall clock, stop state and progress bar."""

    phase: str
    steps: int
    bar: tqdm
    t0: float
    step: int = 0
    batches: int = 0  # batches drawn from the data (the GAN phase draws several per step)
    elapsed: float = 0.0
    best: float = -math.inf  # best validation score so far
    metrics: dict[str, float] | None = None  # the last validation's
    stop: bool = False
    finished: bool = False
    postfix: dict[str, Any] = field(default_factory=dict)

    def due(self, every: int) -> bool:
        return self.step % every == 0 or self.stop


class Trainer:
    def __init__(
        self,
        cfg: TrainConfig,
        env: Env,
        out: Path,
        train_cache: ImageCache,
        val: tuple[torch.Tensor, torch.Tensor],
        minutes: dict[str, float],
        stop_at: tuple[str | None, int] | None,
    ) -> None:
        self.cfg, self.env, self.out = cfg, env, out
        self.train_cache = train_cache
        self.val_rgb, self.val_luma = val
        self.minutes = minutes
        self.stop_at = stop_at
        self.interrupted = False  # a phase stopped at `stop_at`, unfinished
        self.ckpt_dir = out / "ckpt"
        self.loss = GeneratorLoss(cfg.loss).to(env.device)
        amp = cfg.run.amp
        if not env.cuda and not (amp == "bf16" and cpu_has_native_bf16()):
            amp = "none"  # emulated bf16 is slower than fp32; native it is 3x faster (AMX, this VM)
        self.amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(amp)
        self.fp16 = amp == "fp16"
        self.cfg_dict = config_to_dict(cfg)
        if env.main:
            self.ckpt_dir.mkdir(parents=True, exist_ok=True)
            (out / "samples").mkdir(exist_ok=True)
        self._gray_psnr = [
            psnr(g, t) for g, t in zip(self._hwc(self._gray_rgb()), self._hwc(self.val_rgb), strict=True)
        ]
        self._truth_cf = (
            float(np.mean([colourfulness(t) for t in self._hwc(self.val_rgb)])) if len(self.val_rgb) else 0.0
        )

    # ---------------------------------------------------------------- models
    def _build_generator(self) -> nn.Module:
        from videocolor.nets import build_generator

        gen = build_generator(self.cfg.model.generator).to(self.env.device)
        return gen.to(memory_format=torch.channels_last)

    def _build_critic(self) -> nn.Module:
        from videocolor.nets import build_critic

        critic = build_critic(nf=self.cfg.model.critic_nf, n_blocks=self.cfg.model.critic_blocks).to(
            self.env.device
        )
        return critic.to(memory_format=torch.channels_last)

    def _wrap(self, model: nn.Module) -> nn.Module:
        if self.env.world == 1:
            return model
        ids = [self.env.device.index] if self.env.cuda else None
        return DDP(model, device_ids=ids, broadcast_buffers=True)

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.env.device.type, dtype=self.amp_dtype)

    # ------------------------------------------------------------------ data
    def _loader(self, phase: str, start_batch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        d = self.cfg.data
        ds = TrainDataset(self.train_cache, d, self.cfg.degrade, self.cfg.run.seed, PHASES.index(phase))
        batches = PositionBatches(
            start_batch, d.batch_size, self.cfg.run.accum_steps, self.env.world, self.env.rank
        )
        loader = make_loader(ds, batches, d.workers, self.env.cuda, d.prefetch)
        self._wait, self._images, self._t0 = 0.0, 0, time.monotonic()
        it = iter(loader)
        while True:
            t = time.monotonic()
            rgb, luma = next(it)
            self._wait += time.monotonic() - t
            self._images += rgb.shape[0] * self.env.world
            yield (
                rgb.to(self.env.device, non_blocking=True).float().div_(255.0),
                luma.to(self.env.device, non_blocking=True).float().div_(255.0),
            )

    def _speed(self) -> dict[str, float]:
        """Images/s over all ranks and the share of wall time spent waiting for data, this phase so far."""
        wall = max(time.monotonic() - self._t0, 1e-9)
        return {
            "img_s": round(self._images / wall, 1),
            "data_wait": round(self._wait / wall, 4),
            "images": self._images,
            "wait_s": round(self._wait, 4),
            "wall_s": round(wall, 4),
        }

    def _predict(self, gen: nn.Module, luma: torch.Tensor) -> torch.Tensor:
        x = luma_to_model_input(luma).contiguous(memory_format=torch.channels_last)
        with self._autocast():
            out = gen(x)
        return model_output_to_rgb(out.float())

    def _critic_logits(self, critic: nn.Module, rgb: torch.Tensor) -> torch.Tensor:
        x = normalise(rgb).contiguous(memory_format=torch.channels_last)
        with self._autocast():
            return critic(x).float()

    def _gen_terms(
        self, gen: nn.Module, rgb: torch.Tensor, luma: torch.Tensor, step: int, micro: int
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor], ColorTerms]:
        """Generator loss on one micro-batch, with the temporal-stability term when configured."""
        c = self.cfg.loss
        n = rgb.shape[0]
        theta = None
        if c.temporal > 0:
            # One forward over the batch and its shifted/rescaled/noised copy (one DDP forward per step).
            # Seeded by the micro-batch's chunk of the global batch: any DDP/accumulation split agrees.
            chunk = micro * self.env.world + self.env.rank
            g = torch.Generator().manual_seed(hash((self.cfg.run.seed, step, chunk)) & 0xFFFFFFFF)
            theta = random_affine(n, c.temporal_shift, c.temporal_scale, luma.shape[-1], g)
            moved, _ = warp(luma, theta)
            noise = torch.randn(moved.shape, generator=g).to(moved.device) * c.temporal_noise
            luma = torch.cat((luma, (moved + noise).clamp(0.0, 1.0)))
        pred = self._predict(gen, luma)
        terms = ColorTerms.of(rgb, pred[:n])
        total, parts = self.loss(terms)
        if theta is not None:
            aligned, valid = warp(terms.pred_chroma, theta)
            other = chroma_of(pred[n:], BT601)
            parts["temporal"] = (
                c.temporal * ((aligned - other).abs() * valid).sum() / (2 * valid.sum() + 1e-6)
            )
            total = total + parts["temporal"]
        return total, parts, terms

    # ------------------------------------------------------------ optimizers
    def _adam(
        self, model: nn.Module, lr: float, betas: tuple[float, float], wd: float
    ) -> torch.optim.Optimizer:
        return torch.optim.AdamW(model.parameters(), lr=lr, betas=betas, weight_decay=wd)

    def _step(
        self,
        opt: torch.optim.Optimizer,
        scaler: torch.amp.GradScaler,
        trained: nn.Module,
        models: list[nn.Module],
        data: Iterator[tuple[torch.Tensor, torch.Tensor]],
        loop: _Loop,
        phase: str,
        loss_of: Callable[[torch.Tensor, torch.Tensor, int], tuple[torch.Tensor, T]],
    ) -> tuple[torch.Tensor, T]:
        """One optimiser step of `trained` over run.accum_steps micro-batches of `data`, each run through
        `models` by `loss_of(rgb, luma, micro_batch) -> (loss, extras)`; the last micro-batch's pair is
        returned for logging."""
        accum = self.cfg.run.accum_steps
        opt.zero_grad(set_to_none=True)
        for a in range(accum):
            rgb, luma = next(data)
            with self._micro(models, a, loop.batches, phase):
                loss, extras = loss_of(rgb, luma, a)
                scaler.scale(loss / accum).backward()
        scaler.unscale_(opt)
        if self.cfg.run.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(trained.parameters(), self.cfg.run.grad_clip)
        scaler.step(opt)
        scaler.update()
        return loss, extras

    @contextlib.contextmanager
    def _micro(self, models: list[nn.Module], a: int, batch: int, phase: str) -> Iterator[None]:
        """One micro-batch: its own RNG seed, and the maths of a DDP rank.

        Micro-batch `a` of global batch `batch` is chunk a*world + rank of it, seeded by that chunk (dropout
        is then the same whatever the split). Micro-batches after the first leave BatchNorm running stats
        and spectral-norm power iterations alone, as DDP does (it keeps rank 0's buffers), so gradient
        accumulation over N micro-batches equals N DDP ranks. Gradients sync on the last one only.
        """
        chunk = a * self.env.world + self.env.rank
        torch.manual_seed(hash((self.cfg.run.seed, PHASES.index(phase), batch, chunk)) & 0xFFFF_FFFF_FFFF)
        restore: list[tuple[nn.Module, str, Any]] = []
        with contextlib.ExitStack() as stack:
            if a > 0:
                for m in (mod for model in models for mod in unwrap(model).modules() if mod.training):
                    if isinstance(m, nn.modules.batchnorm._BatchNorm):
                        restore.append((m, "momentum", m.momentum))
                        m.momentum = 0.0
                    elif spectral_norm_of(m) is not None:
                        restore.append((m, "training", True))
                        m.training = False
            if a < self.cfg.run.accum_steps - 1:
                for m in models:
                    if isinstance(m, DDP):
                        stack.enter_context(m.no_sync())
            try:
                yield
            finally:
                for m, attr, value in restore:
                    setattr(m, attr, value)

    # ------------------------------------------------------------ validation
    @staticmethod
    def _hwc(batch: torch.Tensor) -> list[np.ndarray]:
        return [img.permute(1, 2, 0).contiguous().numpy() for img in batch]

    def _gray_rgb(self) -> torch.Tensor:
        return self.val_luma.expand(-1, 3, -1, -1)

    @torch.no_grad()
    def _colorize_val(self, gen: nn.Module) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(merged uint8, predicted chroma, true chroma) for the validation set, gen in eval mode."""
        was = gen.training
        gen.eval()
        merged, pc, tc = [], [], []
        for i in range(0, len(self.val_rgb), 32):
            rgb = self.val_rgb[i : i + 32].to(self.env.device).float() / 255.0
            luma = self.val_luma[i : i + 32].to(self.env.device).float() / 255.0
            t = ColorTerms.of(rgb, self._predict(gen, luma))
            merged.append((t.merged * 255.0).round().to(torch.uint8).cpu())
            pc.append(t.pred_chroma.cpu())
            tc.append(t.true_chroma.cpu())
        gen.train(was)
        return torch.cat(merged), torch.cat(pc), torch.cat(tc)

    def _validate_generator(self, gen: nn.Module, phase: str, step: int) -> dict[str, float]:
        merged, pc, tc = self._colorize_val(gen)
        preds = self._hwc(merged)
        gain = float(
            np.mean(
                [
                    psnr(p, t) - g
                    for p, t, g in zip(preds, self._hwc(self.val_rgb), self._gray_psnr, strict=True)
                ]
            )
        )
        cf = float(np.mean([colourfulness(p) for p in preds]))
        cf_ratio = cf / self._truth_cf if self._truth_cf > 0 else 0.0
        r = self.cfg.run
        metrics = {
            "chroma_psnr": 10.0 * math.log10(1.0 / max(float(torch.mean((pc - tc) ** 2)), 1e-12)),
            "rgb_psnr": float(np.mean(self._gray_psnr)) + gain,
            "gray_psnr": float(np.mean(self._gray_psnr)),
            "psnr_gain": gain,
            "cf": cf,
            "cf_truth": self._truth_cf,
            "cf_ratio": cf_ratio,
            "score": gain - r.cf_penalty * max(0.0, r.cf_target - cf_ratio),
        }
        self._write_grid(merged, phase, step)
        return metrics

    @torch.no_grad()
    def _validate_critic(self, loop: _Loop, gen: nn.Module, critic: nn.Module) -> None:
        """The critic's loss and accuracy on the validation photos and the generator's fakes of them."""
        merged, _, _ = self._colorize_val(gen)
        was = critic.training
        critic.eval()
        real = self._critic_logits(critic, self.val_rgb.to(self.env.device).float() / 255.0)
        fake = self._critic_logits(critic, merged.to(self.env.device).float() / 255.0)
        critic.train(was)
        acc = 0.5 * (float((real > 0).float().mean()) + float((fake < 0).float().mean()))
        self._log_val(loop, {"critic_loss": float(critic_loss(real, fake)), "critic_acc": acc})
        loop.postfix.update(val_acc=f"{acc:.2f}")

    def _write_grid(self, merged: torch.Tensor, phase: str, step: int) -> None:
        k = min(self.cfg.run.grid_images, len(merged))
        if k == 0:
            return
        rows = [self._gray_rgb()[:k], merged[:k], self.val_rgb[:k]]  # input, prediction, truth
        grid = torch.cat([torch.cat(list(r), dim=2) for r in rows], dim=1).permute(1, 2, 0).numpy()
        ok, buf = cv2.imencode(".png", cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))
        atomic_write_bytes(self.out / "samples" / f"{phase}-{step:06d}.png", buf.tobytes())

    def _log(self, record: dict[str, Any]) -> None:
        if not self.env.main:
            return
        with open(self.out / "log.jsonl", "a") as fh:
            fh.write(json.dumps(record) + "\n")
        if record.get("kind") == "val":
            path = self.out / f"val-{record['phase']}.csv"
            new = not path.exists()
            with open(path, "a", newline="") as fh:
                w = csv.DictWriter(fh, fieldnames=list(record), extrasaction="ignore")
                if new:
                    w.writeheader()
                w.writerow(record)

    # ------------------------------------------------------------ checkpoints
    def _path(self, phase: str, suffix: str = "") -> Path:
        return self.ckpt_dir / f"{phase}{suffix}.pt"

    def _gather_rng(self) -> list[dict[str, Any]]:
        state = rng_state()
        if self.env.world == 1:
            return [state]
        states: list[Any] = [None] * self.env.world
        dist.all_gather_object(states, state)
        return states

    def _save(
        self,
        loop: _Loop,
        *,
        gen: nn.Module,
        scaler: dict[str, Any],
        counters: dict[str, int],
        ema: Ema | None = None,
        critic: nn.Module | None = None,
        opt_g: torch.optim.Optimizer | None = None,
        opt_c: torch.optim.Optimizer | None = None,
    ) -> None:
        """Write the phase's resumable checkpoint (one layout for every phase; parts it lacks are None),
        and a numbered copy every ``run.keep_every`` steps."""
        rngs = self._gather_rng()  # every rank takes part
        if not self.env.main:
            return
        phase, step, keep_every = loop.phase, loop.step, self.cfg.run.keep_every

        def state_of(x: Any) -> dict[str, Any] | None:
            return None if x is None else x.state_dict()

        full = {
            "step": step,
            "batches": loop.batches,
            "elapsed": loop.elapsed,
            "best": loop.best,
            "finished": loop.finished,
            "generator": gen.state_dict(),
            "ema": state_of(ema.model if ema else None),
            "critic": state_of(critic),
            "opt_g": state_of(opt_g),
            "opt_c": state_of(opt_c),
            "scaler": scaler,
            "counters": counters,
            "metrics": loop.metrics,
            "phase": phase,
            "arch": self.cfg.model.generator,
            "critic_nf": self.cfg.model.critic_nf,
            "config": self.cfg_dict,
            "rng": rngs,
        }
        save_checkpoint(self._path(phase), full)
        if keep_every and step % keep_every == 0:
            save_checkpoint(self._path(phase, f"-step{step:07d}"), full)

    def _validate_and_keep_best(self, loop: _Loop, gen: nn.Module, ema: Ema | None) -> None:
        """Validate the (EMA) generator, log and show the numbers, keep the best checkpoint."""
        metrics = self._validate_generator(ema.model if ema else gen, loop.phase, loop.step)
        self._log_val(loop, metrics)
        loop.postfix.update(val_gain=f"{metrics['psnr_gain']:+.2f}dB", cf=f"{metrics['cf_ratio']:.2f}")
        if metrics["score"] > loop.best:
            loop.best = metrics["score"]
            self._save_best(loop.phase, gen, ema, loop.step, metrics)

    def _log_train(self, loop: _Loop, lr: float, **values: float) -> None:
        head = {"kind": "train", "phase": loop.phase, "step": loop.step}
        self._log({**head, **values, "lr": lr, "time": loop.elapsed, **self._speed()})

    def _log_val(self, loop: _Loop, metrics: dict[str, float]) -> None:
        loop.metrics = metrics
        self._log(
            {"kind": "val", "phase": loop.phase, "step": loop.step, "time": round(loop.elapsed, 1), **metrics}
        )

    def _save_best(
        self, phase: str, gen: nn.Module, ema: Ema | None, step: int, metrics: dict[str, float]
    ) -> None:
        if self.env.main:  # `metrics` are the EMA's where there is one: export picks it by default
            save_checkpoint(
                self._path(phase, "-best"),
                {
                    "phase": phase,
                    "step": step,
                    "arch": self.cfg.model.generator,
                    "generator": unwrap(gen).state_dict(),
                    "ema": ema.model.state_dict() if ema is not None else None,
                    "metrics": metrics,
                    "config": self.cfg_dict,
                },
            )

    def _restore_rng(self, state: dict[str, Any]) -> None:
        rngs = state.get("rng") or []
        if len(rngs) == self.env.world:
            set_rng_state(rngs[self.env.rank])

    def _load_phase(self, phase: str) -> dict[str, Any] | None:
        path = self._path(phase)
        return load_checkpoint(path) if path.is_file() else None

    # ----------------------------------------------------------------- phases
    def _budget(self, phase: str) -> float:
        return self.minutes.get(phase, 0.0) * 60.0

    def _should_stop(self, phase: str, step: int, steps: int, elapsed: float) -> tuple[bool, bool]:
        """(stop now, phase finished)."""
        budget = self._budget(phase)
        done = step >= steps or any_rank(budget > 0 and elapsed >= budget, self.env)
        if done:
            return True, True
        if self.stop_at is None or self.stop_at[0] not in (None, phase):
            return False, False
        return step >= self.stop_at[1], False

    def _start(self, phase: str, steps: int, state: dict[str, Any] | None) -> _Loop:
        """The phase's loop, its counters and RNG states resumed from `state` (after the models and
        optimizers have loaded theirs, before the data loader starts)."""
        step, batches, elapsed, best, metrics = 0, 0, 0.0, -math.inf, None
        if state is not None:
            step, batches, elapsed = state["step"], state["batches"], state["elapsed"]
            best, metrics = state["best"], state.get("metrics")
            self._restore_rng(state)
        bar = tqdm(
            total=steps,
            initial=step,
            desc=phase,
            unit="step",
            disable=not self.env.main,
            dynamic_ncols=True,
            mininterval=2.0,
        )
        loop = _Loop(
            phase, steps, bar, t0=time.monotonic() - elapsed, step=step, batches=batches, elapsed=elapsed,
            best=best, metrics=metrics,
        )  # fmt: skip
        loop.stop, loop.finished = self._should_stop(phase, step, steps, elapsed)
        return loop

    def _advance(self, loop: _Loop) -> None:
        """Count a finished step (and its batch) and decide whether to stop after it."""
        loop.step += 1
        loop.batches += 1
        loop.elapsed = time.monotonic() - loop.t0
        loop.stop, loop.finished = self._should_stop(loop.phase, loop.step, loop.steps, loop.elapsed)

    def _end_step(self, loop: _Loop, validate: Callable[[], None], save: Callable[[], None]) -> None:
        """After a step: validate when due (on the main rank), show progress, checkpoint when due."""
        if (loop.step % self.cfg.run.val_every == 0 or loop.finished) and len(self.val_rgb) and self.env.main:
            validate()
        loop.bar.set_postfix(loop.postfix, refresh=False)
        loop.bar.update(1)
        if loop.due(self.cfg.run.ckpt_every):
            save()

    def _end(self, loop: _Loop) -> dict[str, float] | None:
        loop.bar.close()
        self.interrupted = not loop.finished
        return loop.metrics

    def run_phase(self, phase: str) -> dict[str, Any] | None:
        state = self._load_phase(phase)
        if state is not None and state.get("finished"):
            log.info("%s: already finished (step %d), skipped", phase, state["step"])
            return state.get("metrics")
        return {
            "pretrain_gen": self._pretrain_gen,
            "pretrain_critic": self._pretrain_critic,
            "gan": self._gan,
        }[phase](state)

    def _init_generator(
        self, phase: str, state: dict[str, Any] | None, decay: float
    ) -> tuple[nn.Module, Ema | None]:
        gen = self._build_generator()
        ema_state = None
        prev = None if state is not None or phase == "pretrain_gen" else self._load_phase("pretrain_gen")
        if state is not None:
            gen.load_state_dict(state["generator"])
            ema_state = state.get("ema")
        elif prev is not None:
            gen.load_state_dict(prev["generator"])
            ema_state = prev.get("ema")
        elif self.cfg.model.init:
            from videocolor.nets import load_for_training

            load_for_training(self.cfg.model.init, gen)  # fine-tuning: the EMA starts from these too
        elif phase != "pretrain_gen":
            log.warning(
                "%s: no pretrained generator in %s; starting from random weights", phase, self.ckpt_dir
            )
        ema = None
        if decay > 0:
            ema = Ema(gen, decay)
            if ema_state is not None:
                ema.model.load_state_dict(ema_state)
        return gen, ema

    def _pretrain_gen(self, state: dict[str, Any] | None) -> dict[str, Any] | None:
        p, r = self.cfg.pretrain_gen, self.cfg.run
        torch.manual_seed(r.seed)
        gen, ema = self._init_generator("pretrain_gen", state, p.ema)
        opt = self._adam(gen, p.lr, p.betas, p.weight_decay)
        scaler = torch.amp.GradScaler("cuda", enabled=self.fp16)
        if state is not None:
            opt.load_state_dict(state["opt_g"])
            if state.get("scaler"):
                scaler.load_state_dict(state["scaler"])
        loop = self._start("pretrain_gen", p.steps, state)
        model = self._wrap(gen)
        model.train()
        data = self._loader("pretrain_gen", loop.batches)
        budget = self._budget("pretrain_gen")

        def terms(
            rgb: torch.Tensor, luma: torch.Tensor, a: int
        ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
            total, parts, _ = self._gen_terms(model, rgb, luma, loop.step, a)
            return total, parts

        while not loop.stop:
            progress = max(loop.step / p.steps, loop.elapsed / budget if budget else 0.0)
            lr = p.lr * lr_factor(progress, loop.step, p.warmup, True)
            set_lr(opt, lr)
            total, parts = self._step(opt, scaler, gen, [model], data, loop, "pretrain_gen", terms)
            if ema is not None:
                ema.update(gen, loop.step)
            self._advance(loop)
            if loop.due(r.log_every):
                loss = float(all_mean(total.detach(), self.env))
                speed = self._speed()
                loop.postfix.update(
                    loss=f"{loss:.4f}", img_s=f"{speed['img_s']:.0f}", wait=f"{speed['data_wait']:.0%}"
                )
                self._log_train(loop, lr, loss=loss, **{k: float(v.detach()) for k, v in parts.items()})
            self._end_step(
                loop,
                lambda: self._validate_and_keep_best(loop, gen, ema),
                lambda: self._save(
                    loop,
                    gen=gen,
                    ema=ema,
                    opt_g=opt,
                    scaler=scaler.state_dict(),
                    counters={"gen_steps": loop.step},
                ),
            )
        return self._end(loop)

    def _pretrain_critic(self, state: dict[str, Any] | None) -> dict[str, Any] | None:
        p, r = self.cfg.pretrain_critic, self.cfg.run
        torch.manual_seed(r.seed + 1)
        gen, ema = self._init_generator("pretrain_critic", state, 0.0)
        if state is None:
            prev = self._load_phase("pretrain_gen")
            if prev is not None and prev.get("ema") is not None:
                gen.load_state_dict(prev["ema"])  # fakes come from the generator we would export
        gen.eval().requires_grad_(False)
        critic = self._build_critic()
        opt = self._adam(critic, p.lr, p.betas, p.weight_decay)
        scaler = torch.amp.GradScaler("cuda", enabled=self.fp16)
        if state is not None:
            critic.load_state_dict(state["critic"])
            opt.load_state_dict(state["opt_c"])
            if state.get("scaler"):
                scaler.load_state_dict(state["scaler"])
        loop = self._start("pretrain_critic", p.steps, state)
        model = self._wrap(critic)
        model.train()
        data = self._loader("pretrain_critic", loop.batches)
        while not loop.stop:
            lr = p.lr * lr_factor(loop.step / p.steps, loop.step, p.warmup, True)
            set_lr(opt, lr)
            loss, _ = self._step(
                opt, scaler, critic, [model], data, loop, "pretrain_critic",
                lambda rgb, luma, _a: (self._critic_loss(model, gen, rgb, luma), None),
            )  # fmt: skip
            self._advance(loop)
            if loop.due(r.log_every):
                value = float(all_mean(loss.detach(), self.env))
                loop.postfix.update(loss=f"{value:.4f}", img_s=f"{self._speed()['img_s']:.0f}")
                self._log_train(loop, lr, critic_loss=value)
            self._end_step(
                loop,
                lambda: self._validate_critic(loop, gen, critic),
                lambda: self._save(
                    loop,
                    gen=gen,
                    critic=critic,
                    opt_c=opt,
                    scaler=scaler.state_dict(),
                    counters={"critic_steps": loop.step},
                ),
            )
        return self._end(loop)

    def _critic_loss(
        self, critic: nn.Module, gen: nn.Module, rgb: torch.Tensor, luma: torch.Tensor
    ) -> torch.Tensor:
        with torch.no_grad():
            fake = ColorTerms.of(rgb, self._predict(gen, luma)).merged
        # Real and fake in one forward: one DDP forward per backward, one spectral-norm update per step.
        logits = self._critic_logits(critic, torch.cat((rgb, fake)))
        return critic_loss(logits[: len(rgb)], logits[len(rgb) :])

    def _gan(self, state: dict[str, Any] | None) -> dict[str, Any] | None:
        p, r = self.cfg.gan, self.cfg.run
        torch.manual_seed(r.seed + 2)
        gen, ema = self._init_generator("gan", state, p.ema)
        critic = self._build_critic()
        if state is not None:
            critic.load_state_dict(state["critic"])
        else:
            prev = self._load_phase("pretrain_critic")
            if prev is None:
                log.warning("gan: no pretrained critic in %s; starting it from random weights", self.ckpt_dir)
            else:
                critic.load_state_dict(prev["critic"])
        opt_g = self._adam(gen, p.lr, p.betas, p.weight_decay)
        opt_c = self._adam(critic, p.lr * p.critic_lr_mult, p.betas, p.weight_decay)
        scaler_g = torch.amp.GradScaler("cuda", enabled=self.fp16)
        scaler_c = torch.amp.GradScaler("cuda", enabled=self.fp16)
        counters = {"gen_steps": 0, "critic_steps": 0}
        if state is not None:
            opt_g.load_state_dict(state["opt_g"])
            opt_c.load_state_dict(state["opt_c"])
            if state.get("scaler"):
                scaler_g.load_state_dict(state["scaler"]["g"])
                scaler_c.load_state_dict(state["scaler"]["c"])
            counters = dict(state["counters"])
        loop = self._start("gan", p.steps, state)
        gmodel, cmodel = self._wrap(gen), self._wrap(critic)
        data = self._loader("gan", loop.batches)

        def gen_loss(
            rgb: torch.Tensor, luma: torch.Tensor, a: int
        ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
            feat, _, terms = self._gen_terms(gmodel, rgb, luma, loop.step, a)
            adv = generator_adv_loss(self._critic_logits(cmodel, terms.merged))
            return p.adv_weight * adv + p.feat_weight * feat, (adv, feat)

        while not loop.stop:
            lr = p.lr * lr_factor(0.0, loop.step, p.warmup, False)
            set_lr(opt_g, lr)
            set_lr(opt_c, lr * p.critic_lr_mult)
            # Critic first (DeOldify's switcher starts on the critic); the idle model is in eval mode.
            gen.eval()
            critic.train()
            n_critic = 0
            while True:
                c_loss, _ = self._step(
                    opt_c, scaler_c, critic, [cmodel], data, loop, "gan",
                    lambda rgb, luma, _a: (self._critic_loss(cmodel, gen, rgb, luma), None),
                )  # fmt: skip
                loop.batches += 1
                n_critic += 1
                counters["critic_steps"] += 1
                if p.adaptive:
                    if (
                        float(all_mean(c_loss.detach(), self.env)) < p.critic_thresh
                        or n_critic >= p.max_critic_steps
                    ):
                        break
                elif n_critic >= p.critic_steps:
                    break
            gen.train()
            critic.eval()
            g_loss, (adv, feat) = self._step(
                opt_g, scaler_g, gen, [gmodel, cmodel], data, loop, "gan", gen_loss
            )
            if ema is not None:
                ema.update(gen, loop.step)
            counters["gen_steps"] += 1
            self._advance(loop)
            if loop.due(r.log_every):
                gl = float(all_mean(g_loss.detach(), self.env))
                cl = float(all_mean(c_loss.detach(), self.env))
                loop.postfix.update(
                    g=f"{gl:.3f}",
                    c=f"{cl:.3f}",
                    c_per_g=f"{counters['critic_steps'] / counters['gen_steps']:.1f}",
                    img_s=f"{self._speed()['img_s']:.0f}",
                )
                self._log_train(
                    loop,
                    lr,
                    gen_loss=gl,
                    critic_loss=cl,
                    adv=float(adv.detach()),
                    feat=float(feat.detach()),
                    **counters,
                )
            self._end_step(
                loop,
                lambda: self._validate_and_keep_best(loop, gen, ema),
                lambda: self._save(
                    loop,
                    gen=gen,
                    ema=ema,
                    critic=critic,
                    opt_g=opt_g,
                    opt_c=opt_c,
                    scaler={"g": scaler_g.state_dict(), "c": scaler_c.state_dict()},
                    counters=counters,
                ),
            )
        return self._end(loop)


def _phase_minutes(cfg: TrainConfig, max_minutes: float | None) -> dict[str, float]:
    own = {
        "pretrain_gen": cfg.pretrain_gen.max_minutes,
        "pretrain_critic": cfg.pretrain_critic.max_minutes,
        "gan": cfg.gan.max_minutes,
    }
    if not max_minutes:
        return own
    active = [p for p in PHASES if p in cfg.run.phases]
    shares = {p: s for p, s in zip(PHASES, cfg.run.budget_share, strict=True) if p in active}
    total = sum(shares.values()) or 1.0
    return {p: max_minutes * shares[p] / total for p in active}


def _best_checkpoint(ckpt_dir: Path) -> Path | None:
    best, best_score = None, -math.inf
    for phase in ("pretrain_gen", "gan"):
        path = ckpt_dir / f"{phase}-best.pt"
        if path.is_file():
            score = float(load_checkpoint(path).get("metrics", {}).get("score", -math.inf))
            if score >= best_score:
                best, best_score = path, score
    return best


def run_training(
    cfg: TrainConfig,
    data: list[str | Path],
    out: str | Path,
    *,
    device: str = "auto",
    max_minutes: float | None = None,
    stop_at: tuple[str | None, int] | None = None,
    export: bool = True,
) -> RunResult:
    """Run (or resume) every configured phase; returns the last validation metrics of each.

    `stop_at` = (phase or None for any, step): stop there, checkpointed and resumable (preemptible jobs).
    """
    env = setup_env(device)
    out = Path(out)
    if cfg.model.init:  # a wrong file fails now, not after the data is decoded
        from videocolor.nets import build_generator, load_for_training

        load_for_training(cfg.model.init, build_generator(cfg.model.generator))
    if env.main:
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.json").write_text(json.dumps(config_to_dict(cfg), indent=2) + "\n")
    if env.cuda:
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    sources = find_sources(data)
    train_src, val_src = split_sources(sources, cfg.data.val_fraction)
    short = cfg.data.cache_short_side or int(cfg.data.crop * 1.25)
    train_cache = ImageCache(train_src, short, cfg.data.frames_per_video)
    val_size = cfg.data.val_size or cfg.data.crop
    val_cache = ImageCache(val_src[: cfg.data.val_max], max(short, val_size), cfg.data.frames_per_video)
    val = validation_batch(val_cache, val_size, cfg.data.val_max)
    if env.main:
        (out / "split.json").write_text(
            json.dumps({"train": [s.key for s in train_src], "val": [s.key for s in val_src]}, indent=1)
            + "\n"
        )
        log.info(
            "%d training images from %d files, %d validation images",
            len(train_cache),
            len(train_src),
            len(val[0]),
        )
    trainer = Trainer(cfg, env, out, train_cache, val, _phase_minutes(cfg, max_minutes), stop_at)
    result = RunResult(out)
    for phase in PHASES:
        if phase in cfg.run.phases:
            result.phases[phase] = trainer.run_phase(phase) or {}
            if env.world > 1:
                dist.barrier()  # the next phase reads this one's checkpoint
            if trainer.interrupted:
                result.stopped = phase
                break
    if export and env.main and not trainer.interrupted:
        best = _best_checkpoint(trainer.ckpt_dir)
        if best is not None:
            result.exported = export_checkpoint(best, out / "model.safetensors", overwrite=True)
    return result
