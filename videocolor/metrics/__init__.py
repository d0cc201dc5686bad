"""videocolor.metrics."""
