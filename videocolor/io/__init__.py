"""videocolor.io."""
