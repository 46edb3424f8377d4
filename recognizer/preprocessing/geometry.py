"""MNIST geometry: from greyscale paper to the 28x28 picture an MNIST network expects.

Plain numpy and Pillow on arrays that are already decoded (``decoding`` reads the untrusted bytes).

The pipeline mirrors how MNIST itself was made (LeCun, Cortes & Burges, "The MNIST database of
handwritten digits"): "The original black and white (bilevel) images from NIST were size
normalized to fit in a 20x20 pixel box while preserving their aspect ratio. The resulting images
contain grey levels as a result of the anti-aliasing technique used by the normalization
algorithm. the images were centered in a 28x28 image by computing the center of mass of the
pixels, and translating the image so as to position this point at the center of the 28x28 field."

So: invert to white ink on black, crop to the ink, fit the longer side into 20 pixels with area
averaging, stretch the contrast so the strongest stroke is 1.0 (every MNIST digit reaches full
intensity), and translate by whole pixels so the centre of mass lands on pixel index (14, 14).
Index (14, 14) is not a guess: measured on the MNIST test set the mean centre of mass is
(13.99, 14.01) in pixel-index coordinates with a spread of 0.29, which is what rounding the shift
to whole pixels gives.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from recognizer.preprocessing.errors import NothingDrawn

FIELD_SIDE = 28
BOX_SIDE = 20
# Centre of mass target in pixel-index coordinates (pixel i is centred at i); see the module doc.
MASS_TARGET = 14.0

# Ink below this (after inversion, 0..1) is paper noise: JPEG ringing, a grey scanner background,
# the faint fringe of antialiasing. It is removed by a levels adjustment, not a hard step.
NOISE_FLOOR = 0.1
# A pixel counts as ink for the bounding box and the blank rule from this level on (grey < ~190).
INK_THRESHOLD = 0.25
# Blank rule: fewer ink pixels than this share of the image (39 on a 280x280 canvas, 157 at HiDPI
# 560x560), with at least 4 and at most 400, is "nothing drawn".
MIN_INK_SHARE = 0.0005
MIN_INK_PIXELS = 4
MAX_MIN_INK_PIXELS = 400
# Dot rule: a compact round blob whose longer side is under this share of the shorter image side
# is a click, not a digit (an 18 px pen dot on a 280 canvas is 18 px; the limit is 42 px).
DOT_MAX_SHARE = 0.15
DOT_MIN_FILL = 0.5
DOT_MAX_ASPECT = 2.0
# Pen width is normalised on the drawing fitted into a box of WORK_SIDE pixels (4x the final box);
# see normalize_stroke_width.
WORK_SIDE = 4 * BOX_SIDE
# So a drawing whose ink is this many pixels across holds all that preprocessing uses (with a
# fifth to spare), and the page scales a bigger drawing down to it before uploading
# (static/js/canvas.js). On 10,000 redrawn MNIST test digits: 9910 read right against 9912 from
# the 280 px upload (the same answer for 9984), preprocessing 0.90 ms p50 against 1.44
# (docs/PERFORMANCE.md, "Profile").
UPLOAD_INK_SIDE = 96
WIDTH_TARGET = 10.0
WIDTH_LOW = 7.5
WIDTH_HIGH = 13.5


def _ink_table(noise_floor: float) -> np.ndarray:
    ink = (1.0 - np.arange(256, dtype=np.float32) / 255.0 - noise_floor) / (1.0 - noise_floor)
    return np.clip(ink, 0.0, 1.0).astype(np.float32)


_INK_TABLE = _ink_table(NOISE_FLOOR)
# The grey levels that reach INK_THRESHOLD on light paper (0..N) and on a dark ground (N..255).
_LIGHT_INK_UP_TO = int(np.flatnonzero(_INK_TABLE >= INK_THRESHOLD)[-1])
_DARK_INK_FROM = 255 - _LIGHT_INK_UP_TO


def has_dark_background(paper: np.ndarray) -> bool:
    """True when the border of the picture is mostly dark: light ink on a dark ground, the way
    MNIST itself is stored (someone uploading an MNIST sample). The canvas never is."""
    border = np.concatenate([paper[0], paper[-1], paper[:, 0], paper[:, -1]])
    return bool(np.median(border) < 128)


def to_ink(
    paper: np.ndarray, *, noise_floor: float = NOISE_FLOOR, dark_background: bool | None = None
) -> np.ndarray:
    """Uint8 paper to MNIST's convention - float32 white ink on black, in [0, 1] - dropping light
    noise below ``noise_floor`` with a levels adjustment (no hard step at the floor).

    Dark ink on light paper is inverted; a picture that already has a dark background is not.
    ``dark_background`` says which it is when ``paper`` is a crop whose border is not the page's.
    """
    table = _INK_TABLE if noise_floor == NOISE_FLOOR else _ink_table(noise_floor)
    if dark_background is None:
        dark_background = has_dark_background(paper)
    if dark_background:
        table = table[::-1]
    return table[paper]


def ink_mask(paper: np.ndarray, *, dark_background: bool) -> np.ndarray:
    """``to_ink(paper) >= INK_THRESHOLD`` as one comparison on the uint8 paper: the levels table
    is monotonic, so the threshold is a grey level. No float copy of the whole page is made."""
    if dark_background:
        return paper >= _DARK_INK_FROM
    return paper <= _LIGHT_INK_UP_TO


def ink_bounds(
    mask: np.ndarray, *, page_size: tuple[int, int] | None = None
) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the ink in ``mask``; ``NothingDrawn`` if it is blank.

    Blank means: fewer ink pixels than 0.05% of the image (at least 4, at most 400), or a single
    dot - a compact, round blob under 15% of the shorter image side, which is what a click without a
    drag leaves. A dot is no digit, and the network would answer it with a confident-looking guess.
    ``page_size`` (height, width) is the whole page's when ``mask`` covers only part of it.
    """
    count = int(np.count_nonzero(mask))
    height, width = mask.shape if page_size is None else page_size
    min_pixels = min(max(MIN_INK_PIXELS, round(MIN_INK_SHARE * height * width)), MAX_MIN_INK_PIXELS)
    if count < min_pixels:
        raise NothingDrawn("Nothing was drawn: draw a digit and try again.")
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    top, bottom, left, right = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    box_h, box_w = bottom - top, right - left
    long_side, short_side = max(box_h, box_w), min(box_h, box_w)
    if (
        long_side < DOT_MAX_SHARE * min(height, width)
        and long_side <= DOT_MAX_ASPECT * short_side
        and count >= DOT_MIN_FILL * box_h * box_w
    ):
        raise NothingDrawn("Only a dot was drawn: draw a digit and try again.")
    return top, bottom, left, right


def crop_to_ink(ink: np.ndarray, *, threshold: float = INK_THRESHOLD) -> np.ndarray:
    """The bounding box of the pixels at or above ``threshold`` (see ``ink_bounds``)."""
    top, bottom, left, right = ink_bounds(ink >= threshold)
    return ink[top:bottom, left:right]


def fit_into_box(crop: np.ndarray, *, box: int = BOX_SIDE) -> np.ndarray:
    """Scale so the longer side is ``box`` pixels, keeping the aspect ratio (a "1" stays thin).

    Shrinking averages areas (BOX), the closest match to NIST's antialiased size normalisation of
    bilevel scans; the rare enlargement (an upload smaller than the box) is bilinear.
    """
    height, width = crop.shape
    scale = box / max(height, width)
    if scale == 1.0:
        return crop.astype(np.float32, copy=True)
    new_h = min(box, max(1, round(height * scale)))
    new_w = min(box, max(1, round(width * scale)))
    resample = Image.Resampling.BOX if scale < 1.0 else Image.Resampling.BILINEAR
    resized = Image.fromarray(np.ascontiguousarray(crop, dtype=np.float32)).resize(
        (new_w, new_h), resample
    )
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


def _morph(ink: np.ndarray, steps: int, *, grow: bool) -> np.ndarray:
    """Grey dilation (``grow``) or erosion by ``steps`` pixels with a near-round kernel.

    Alternating a 3x3 cross and a 3x3 square gives an octagon, so diagonal strokes change as much
    as upright ones; each step moves both edges of a stroke by one pixel.
    """
    reduce = np.maximum.reduce if grow else np.minimum.reduce
    height, width = ink.shape
    for step in range(steps):
        padded = np.pad(ink, 1)
        shifted = [padded[1:-1, 1:-1], padded[:-2, 1:-1], padded[2:, 1:-1]]
        shifted += [padded[1:-1, :-2], padded[1:-1, 2:]]
        if step % 2:
            shifted += [padded[:-2, :-2], padded[:-2, 2:], padded[2:, :-2], padded[2:, 2:]]
        ink = reduce(shifted)
    return ink


def stroke_width(ink: np.ndarray, *, level: float = 0.5) -> float:
    """Mean stroke width in pixels: twice the area over the boundary length (a ribbon of width w
    and length L has area wL and two edges of length L)."""
    mask = ink >= level
    area = int(np.count_nonzero(mask))
    inner = _morph(mask.astype(np.uint8), 1, grow=False).astype(bool)
    boundary = int(np.count_nonzero(mask & ~inner))
    return 2.0 * area / max(boundary, 1)


def normalize_stroke_width(
    work: np.ndarray,
    *,
    low: float = WIDTH_LOW,
    high: float = WIDTH_HIGH,
    target: float = WIDTH_TARGET,
) -> np.ndarray:
    """Bring the pen width of a drawing fitted into an 80-pixel box into MNIST's range.

    The canvas pen is fixed while people draw at any size, so a big digit comes out hair-thin and
    a small one bold after scaling - unlike MNIST, written in boxes of one size. Measured the same
    way at this scale, MNIST strokes are 10 px wide (7.4 to 13.9 for the middle 80%); a width
    outside [``low``, ``high``] is dilated or eroded to ``target``. Returns the re-cropped result.
    """
    width = stroke_width(work)
    if low <= width <= high:
        return work
    steps = round(abs(target - width) / 2)
    if steps == 0:
        return work
    grow = width < target
    if grow:
        work = np.pad(work, steps)
    else:
        # Never erode a stroke away: keep at least a pixel or two of its core.
        steps = min(steps, max(0, int(width / 2) - 1))
    adjusted = _morph(work, steps, grow=grow)
    mask = adjusted >= INK_THRESHOLD
    if not mask.any():
        return work
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return adjusted[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def stretch_contrast(ink: np.ndarray) -> np.ndarray:
    """Scale so the strongest pixel is 1.0: every MNIST digit reaches full intensity, while a thin
    pen on a big drawing averages down to grey strokes."""
    peak = float(ink.max())
    return ink / peak if peak > 0 else ink


def center_by_mass(
    fitted: np.ndarray, *, side: int = FIELD_SIDE, target: float = MASS_TARGET
) -> np.ndarray:
    """Place ``fitted`` in a ``side`` x ``side`` field, centre of mass at index (target, target).

    As in MNIST the shift is a whole number of pixels; it is clipped so no ink leaves the field.
    """
    height, width = fitted.shape
    if height > side or width > side:
        raise ValueError(f"a {width}x{height} image does not fit into {side}x{side}")
    mass = float(fitted.sum())
    if mass > 0:
        cy = float(fitted.sum(axis=1) @ np.arange(height)) / mass
        cx = float(fitted.sum(axis=0) @ np.arange(width)) / mass
    else:
        cy, cx = (height - 1) / 2, (width - 1) / 2
    top = min(max(math.floor(target - cy + 0.5), 0), side - height)
    left = min(max(math.floor(target - cx + 0.5), 0), side - width)
    field = np.zeros((side, side), dtype=np.float32)
    field[top : top + height, left : left + width] = fitted
    return field
