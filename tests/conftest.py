import os
from pathlib import Path

import pytest

# As videocolor/__init__.py does, but before any test module imports torch.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Random-init weights of the smallest generator, saved as the pipeline loads them."""
    import torch

    from videocolor.nets import build_generator, save_weights

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("weights") / "tiny.safetensors"
    save_weights(build_generator("tiny"), path, provenance={"note": "random weights for tests"})
    return path
