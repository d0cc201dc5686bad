"""videocolor.pipeline."""
