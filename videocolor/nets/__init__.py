"""videocolor.nets."""
