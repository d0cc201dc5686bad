"""Where segments run: in this process, or as Ray actors on a cluster. Both call the same worker code.

An executor takes segment tasks and yields one result per task, in any order; it never touches the job
store (the driver records results), so Ray workers only need the input and part paths to be shared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

from videocolor.batch.worker import SegmentResult, SegmentTask, SegmentWorker
from videocolor.errors import VideocolorError

__all__ = ["Executor", "LocalExecutor", "RayExecutor", "make_executor"]

Progress = Callable[[SegmentTask, int], None]  # (segment, frames just finished)


class Executor(Protocol):
    def run(self, tasks: Iterable[SegmentTask], progress: Progress) -> Iterator[SegmentResult]: ...

    def close(self) -> None: ...


class LocalExecutor:
    """One worker in this process: the model is loaded once and kept for every segment."""

    def __init__(self) -> None:
        self._worker = SegmentWorker()

    def run(self, tasks: Iterable[SegmentTask], progress: Progress) -> Iterator[SegmentResult]:
        for task in tasks:
            yield self._worker.run(task, lambda n, task=task: progress(task, n))

    def close(self) -> None:
        return None


class RayExecutor:
    """Segments as calls on Ray actors (one per GPU, else `workers` CPU actors), each holding its model.

    Inputs and part files are read and written by path: every node must see them at the same path (a
    shared file system). Frame progress arrives per finished segment."""

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise VideocolorError('the ray executor needs Ray: pip install "ray[default]"') from None
        self._ray = ray
        self._owns_ray = not ray.is_initialized()
        if self._owns_ray:
            try:
                ray.init(address=address, log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise VideocolorError(f"cannot connect to the Ray cluster at {address}: {exc}") from None
        resources = ray.cluster_resources()
        gpus = int(resources.get("GPU", 0))
        if gpus:
            actor_cls = ray.remote(num_gpus=1)(SegmentWorker)
            count = gpus if workers is None else min(workers, gpus)
        else:
            actor_cls = ray.remote(num_cpus=1)(SegmentWorker)
            count = workers or max(1, int(resources.get("CPU", 1)))
        self._actors = [actor_cls.remote(tune=True) for _ in range(count)]

    def run(self, tasks: Iterable[SegmentTask], progress: Progress) -> Iterator[SegmentResult]:
        from ray.util import ActorPool

        pool = ActorPool(self._actors)
        for result in pool.map_unordered(lambda actor, task: actor.run.remote(task), list(tasks)):
            progress(result.task, result.task.frames)
            yield result

    def close(self) -> None:
        for actor in self._actors:
            self._ray.kill(actor)
        self._actors = []
        if self._owns_ray:
            self._ray.shutdown()


def make_executor(name: str, *, address: str | None = None, workers: int | None = None) -> Executor:
    if name == "local":
        return LocalExecutor()
    if name == "ray":
        return RayExecutor(address, workers)
    raise VideocolorError(f"unknown executor {name!r} (local, ray)")
