"""videocolor.train."""
