"""Frame-extraction debugging: what each colorize stage made of selected frames, as files and HTML."""

from videocolor.report.frames import FrameRecord, FrameShots, Selection, run_debug, summary
from videocolor.report.html import ReportWriter

__all__ = ["FrameRecord", "FrameShots", "ReportWriter", "Selection", "run_debug", "summary"]
