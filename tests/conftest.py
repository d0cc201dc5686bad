import os

# As videocolor/__init__.py does, but before any test module imports torch.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
