"""videocolor.temporal."""
