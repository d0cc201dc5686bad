"""The colorize pipeline: stages joined by bounded queues; video and image entry points."""

from videocolor.pipeline.image import colorize_image, colorize_images, is_image
from videocolor.pipeline.model import autocast_dtype, load_colorizer, resolve_device, weights_path
from videocolor.pipeline.options import PRESET_DIR, ColorizeOptions, load_options
from videocolor.pipeline.stages import (
    Colorizer,
    OutputFrame,
    colorize_frames,
    ordered_map,
    render_shape,
    threaded,
)
from videocolor.pipeline.video import (
    ColorizeReport,
    colorize_decoded,
    colorize_video,
    expected_frames,
    probe_input,
)

__all__ = [
    "PRESET_DIR",
    "ColorizeOptions",
    "ColorizeReport",
    "Colorizer",
    "OutputFrame",
    "autocast_dtype",
    "colorize_decoded",
    "colorize_frames",
    "colorize_image",
    "colorize_images",
    "colorize_video",
    "expected_frames",
    "is_image",
    "load_colorizer",
    "load_options",
    "ordered_map",
    "probe_input",
    "render_shape",
    "resolve_device",
    "threaded",
    "weights_path",
]
