"""Turn an uploaded drawing into the 28x28 picture an MNIST network expects.

Plain numpy and Pillow: no Django, no settings, no HTTP. Two rooms:

- ``decoding``: untrusted bytes (data URLs, PNG, JPEG) to greyscale paper, with the size
  limits checked before anything is decoded;
- ``geometry``: paper to MNIST's picture (crop to the ink, fit into 20x20, centre by mass).

``preprocess`` joins them doing only the work the answer needs: the ink's bounding box is
found with one integer comparison on the page, and only the crop becomes floating point.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from recognizer.preprocessing.decoding import (
    MAX_DECODED_BYTES,
    MAX_PIXELS,
    MAX_SIDE,
    WORK_MAX_SIDE,
    Declared,
    Page,
    check_cost,
    check_size,
    declared_size,
    decode_data_url,
    decode_image,
    flatten_onto_white,
    page_from_image,
    sniff_format,
)
from recognizer.preprocessing.errors import (
    ImageError,
    ImageTooLarge,
    InvalidImage,
    NothingDrawn,
    UnsupportedImage,
)
from recognizer.preprocessing.geometry import (
    BOX_SIDE,
    FIELD_SIDE,
    INK_THRESHOLD,
    MASS_TARGET,
    NOISE_FLOOR,
    UPLOAD_INK_SIDE,
    WORK_SIDE,
    center_by_mass,
    crop_to_ink,
    fit_into_box,
    has_dark_background,
    ink_bounds,
    ink_mask,
    normalize_stroke_width,
    stretch_contrast,
    stroke_width,
    to_ink,
)

__all__ = [
    "BOX_SIDE",
    "FIELD_SIDE",
    "INK_THRESHOLD",
    "MASS_TARGET",
    "MAX_DECODED_BYTES",
    "MAX_PIXELS",
    "MAX_SIDE",
    "NOISE_FLOOR",
    "UPLOAD_INK_SIDE",
    "WORK_MAX_SIDE",
    "WORK_SIDE",
    "Declared",
    "ImageError",
    "Page",
    "ImageTooLarge",
    "InvalidImage",
    "NothingDrawn",
    "UnsupportedImage",
    "center_by_mass",
    "check_cost",
    "check_size",
    "crop_to_ink",
    "declared_size",
    "decode_data_url",
    "decode_image",
    "fit_into_box",
    "flatten_onto_white",
    "field_from_page",
    "has_dark_background",
    "ink_bounds",
    "ink_mask",
    "normalize_stroke_width",
    "page_from_image",
    "preprocess",
    "sniff_format",
    "stretch_contrast",
    "stroke_width",
    "to_ink",
    "to_png_bytes",
]


def preprocess(
    data: bytes,
    *,
    max_side: int = MAX_SIDE,
    max_pixels: int = MAX_PIXELS,
    max_decoded_bytes: int = MAX_DECODED_BYTES,
    normalize_width: bool = True,
) -> np.ndarray:
    """PNG or JPEG bytes -> (28, 28) float32 in [0, 1], white ink on black, as MNIST was made."""
    image = decode_image(
        data, max_side=max_side, max_pixels=max_pixels, max_decoded_bytes=max_decoded_bytes
    )
    return field_from_page(page_from_image(image), normalize_width=normalize_width)


def field_from_page(page: Page, *, normalize_width: bool = True) -> np.ndarray:
    """The decoded page -> the 28x28 field: the same result as ``crop_to_ink(to_ink(paper))``
    and so on, without a float copy of the whole page."""
    dark = page.dark_background
    top, bottom, left, right = ink_bounds(
        ink_mask(page.paper, dark_background=dark), page_size=(page.height, page.width)
    )
    crop = to_ink(page.paper[top:bottom, left:right], dark_background=dark)
    if normalize_width:
        crop = normalize_stroke_width(fit_into_box(crop, box=WORK_SIDE))
    return center_by_mass(stretch_contrast(fit_into_box(crop)))


def to_png_bytes(array28: np.ndarray) -> bytes:
    """The model's view (white ink on black, values in [0, 1]) as an 8-bit greyscale PNG."""
    array = np.asarray(array28, dtype=np.float32)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 2:
        raise ValueError(f"expected a 2-D image, got shape {array.shape}")
    pixels = np.rint(np.clip(array, 0.0, 1.0) * 255.0).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()
