"""Colour-space maths: pure functions over tensors."""

from videocolor.color.imagenet import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    imagenet_stats,
    luma_to_model_input,
    model_output_to_rgb,
)
from videocolor.color.ycbcr import (
    MATRICES,
    Matrix,
    Range,
    analog_to_code,
    chroma_of,
    code_to_analog,
    fit_chroma_to_gamut,
    luma_of,
    merge_chroma,
    rgb_to_ycbcr,
    ycbcr_to_rgb,
)

__all__ = [
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "MATRICES",
    "Matrix",
    "Range",
    "analog_to_code",
    "chroma_of",
    "code_to_analog",
    "fit_chroma_to_gamut",
    "imagenet_stats",
    "luma_of",
    "luma_to_model_input",
    "merge_chroma",
    "model_output_to_rgb",
    "rgb_to_ycbcr",
    "ycbcr_to_rgb",
]
