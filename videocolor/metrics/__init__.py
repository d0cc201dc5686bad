"""Colorization metrics as pure functions over uint8 RGB frames (definitions: ../shared/METRICS.md)."""

from videocolor.metrics.image import colourfulness, gray_twin, psnr, ssim
from videocolor.metrics.video import (
    CDC_GAPS,
    cdc,
    cdc_from_histograms,
    channel_histograms,
    gray_flow,
    js_divergence,
    warping_error,
    warping_error_pair,
)

__all__ = [
    "CDC_GAPS",
    "cdc",
    "cdc_from_histograms",
    "channel_histograms",
    "colourfulness",
    "gray_flow",
    "gray_twin",
    "js_divergence",
    "psnr",
    "ssim",
    "warping_error",
    "warping_error_pair",
]
