"""Command-line front end: argument parsing only; the work happens in the library."""
