"""Turn an uploaded drawing into the 28x28 picture an MNIST network expects.

Plain numpy and Pillow: no Django, no settings, no HTTP. The view maps the exception classes
below to statuses (``InvalidImage`` 400, ``UnsupportedImage`` 415, ``ImageTooLarge`` 413,
``NothingDrawn`` 422).

The pipeline mirrors how MNIST itself was made (LeCun, Cortes & Burges, "The MNIST database of
handwritten digits"): "The original black and white (bilevel) images from NIST were size
normalized to fit in a 20x20 pixel box while preserving their aspect ratio. The resulting images
contain grey levels as a result of the anti-aliasing technique used by the normalization
algorithm. the images were centered in a 28x28 image by computing the center of mass of the
pixels, and translating the image so as to position this point at the center of the 28x28 field."

So: decode safely (PNG or JPEG only, declared size checked before any pixel is decoded), flatten
transparency onto white paper, invert to white ink on black, crop to the ink, fit the longer side
into 20 pixels with area averaging, stretch the contrast so the strongest stroke is 1.0 (every
MNIST digit reaches full intensity), and translate by whole pixels so the centre of mass lands on
pixel index (14, 14). Index (14, 14) is not a guess: measured on the MNIST test set the mean centre
of mass is (13.99, 14.01) in pixel-index coordinates with a spread of 0.29, which is what rounding
the shift to whole pixels gives.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import struct
import zlib

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

__all__ = [
    "BOX_SIDE",
    "FIELD_SIDE",
    "ImageError",
    "ImageTooLarge",
    "InvalidImage",
    "NothingDrawn",
    "UnsupportedImage",
    "center_by_mass",
    "crop_to_ink",
    "decode_data_url",
    "decode_image",
    "fit_into_box",
    "flatten_onto_white",
    "has_dark_background",
    "normalize_stroke_width",
    "preprocess",
    "stretch_contrast",
    "stroke_width",
    "to_ink",
    "to_png_bytes",
]

FIELD_SIDE = 28
BOX_SIDE = 20
# Centre of mass target in pixel-index coordinates (pixel i is centred at i); see the module doc.
MASS_TARGET = 14.0

MAX_SIDE = 4096
MAX_PIXELS = 16_000_000

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
WIDTH_TARGET = 10.0
WIDTH_LOW = 7.5
WIDTH_HIGH = 13.5

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"
# Formats recognised only to say "not supported" rather than "not an image".
_OTHER_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"8BPS", "PSD"),
    (b"\xff\x0a", "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL ", "JPEG XL"),
    (b"\x00\x00\x00\x0cjP  ", "JPEG 2000"),
    (b"%PDF", "PDF"),
)
# JPEG start-of-frame markers: every SOFn except DHT (C4), JPG (C8) and DAC (CC).
_JPEG_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Every way Pillow reports a broken file while decoding.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    struct.error,
    zlib.error,
    Image.DecompressionBombError,
)


class ImageError(ValueError):
    """Base of every problem with an image; ``message`` is fit to show to the person who sent it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidImage(ImageError):
    """Not a readable image: junk, truncated or corrupt bytes, bad base64 (HTTP 400)."""


class UnsupportedImage(ImageError):
    """A real image but not one we take: GIF, WebP, animated PNG, a non-image data URL (415)."""


class ImageTooLarge(ImageError):
    """The declared pixel size is over the limit; refused before decoding (HTTP 413)."""


class NothingDrawn(ImageError):
    """Blank, a few stray pixels, or a single dot (HTTP 422)."""


# --- decoding ------------------------------------------------------------------------------------


def sniff_format(data: bytes) -> str:
    """Return "PNG" or "JPEG" from the magic bytes, whatever the client claimed.

    A known but unsupported format raises ``UnsupportedImage``; anything else ``InvalidImage``.
    """
    if data.startswith(_PNG_SIGNATURE):
        return "PNG"
    if data.startswith(_JPEG_SIGNATURE):
        return "JPEG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        raise UnsupportedImage("WebP images are not supported; send a PNG or JPEG.")
    if data[4:12] in (b"ftypavif", b"ftypheic", b"ftypheix", b"ftypmif1"):
        raise UnsupportedImage("AVIF/HEIF images are not supported; send a PNG or JPEG.")
    for signature, name in _OTHER_SIGNATURES:
        if data.startswith(signature):
            raise UnsupportedImage(f"{name} images are not supported; send a PNG or JPEG.")
    raise InvalidImage("The data is not an image; send a PNG or JPEG.")


def declared_size(data: bytes, image_format: str) -> tuple[int, int] | None:
    """Read (width, height) from the PNG IHDR or the JPEG frame header without decoding anything."""
    if image_format == "PNG":
        if len(data) < 24 or data[12:16] != b"IHDR":
            raise InvalidImage("The PNG is corrupt: it has no image header.")
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    # JPEG: walk the marker segments up to the first start-of-frame.
    i, n = 2, len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            i += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image / start of scan before any frame header
            return None
        if marker in _JPEG_SOF_MARKERS and i + 9 <= n:
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return None


def check_size(width: int, height: int, *, max_side: int, max_pixels: int) -> None:
    if width > max_side or height > max_side:
        raise ImageTooLarge(
            f"The image is {width}x{height} pixels; the limit is {max_side}x{max_side}."
        )
    if width * height > max_pixels:
        raise ImageTooLarge(
            f"The image is {width}x{height} pixels ({width * height:,} in all); "
            f"the limit is {max_pixels:,} pixels."
        )
    if width == 0 or height == 0:
        raise InvalidImage(f"The image is {width}x{height} pixels; it has no pixels to read.")


def decode_image(
    data: bytes, *, max_side: int = MAX_SIDE, max_pixels: int = MAX_PIXELS
) -> Image.Image:
    """Decode PNG or JPEG bytes into a loaded Pillow image, refusing anything unsafe or odd.

    The declared pixel size is checked from the header before Pillow sees the bytes, and again
    on Pillow's lazily opened image before ``load()``, so a tiny file that declares 100000x100000
    pixels never allocates them. Truncated files fail: this relies on Pillow's
    ``LOAD_TRUNCATED_IMAGES`` staying False (its default). JPEG photos are turned upright by
    their EXIF orientation.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InvalidImage("The image must be bytes.")
    data = bytes(data)
    if not data:
        raise InvalidImage("The image is empty.")
    image_format = sniff_format(data)
    size = declared_size(data, image_format)
    if size is not None:
        check_size(*size, max_side=max_side, max_pixels=max_pixels)
    try:
        image = Image.open(io.BytesIO(data), formats=[image_format])
        check_size(*image.size, max_side=max_side, max_pixels=max_pixels)
        if image_format == "PNG" and getattr(image, "is_animated", False):
            raise UnsupportedImage("Animated PNG images are not supported; send a still image.")
        image.load()
    except ImageError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"The image is too large to decode ({exc}).") from exc
    except UnidentifiedImageError as exc:
        raise InvalidImage(f"The {image_format} image is corrupt and cannot be read.") from exc
    except _DECODE_ERRORS as exc:
        raise InvalidImage(
            f"The {image_format} image is truncated or corrupt and cannot be read."
        ) from exc
    if image_format == "JPEG":
        try:
            image = ImageOps.exif_transpose(image)
        except _DECODE_ERRORS:
            pass  # a broken EXIF block is no reason to refuse readable pixels
    return image


# --- pixels --------------------------------------------------------------------------------------


def flatten_onto_white(image: Image.Image) -> np.ndarray:
    """Greyscale paper as uint8 (255 = white), transparency composited onto white.

    The canvas is transparent wherever nothing was drawn and its transparent pixels are
    (0, 0, 0, 0), so a naive ``convert("L")`` would turn the whole page black.
    """
    if image.mode.startswith("I"):  # 16-bit greyscale PNGs open as I;16 (older Pillows: I)
        values = np.asarray(image)
        grey = np.rint(np.clip(values, 0, 65535) / 257.0).astype(np.uint8)
        transparent = image.info.get("transparency")
        if isinstance(transparent, int):
            grey[values == transparent] = 255
        return grey
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        paper = Image.new("RGBA", image.size, (255, 255, 255, 255))
        paper.alpha_composite(image.convert("RGBA"))
        image = paper
    if image.mode not in ("L", "RGB", "RGBA"):
        image = image.convert("RGB")  # P, 1, CMYK, YCbCr, ...
    return np.asarray(image.convert("L"))


def _ink_table(noise_floor: float) -> np.ndarray:
    ink = (1.0 - np.arange(256, dtype=np.float32) / 255.0 - noise_floor) / (1.0 - noise_floor)
    return np.clip(ink, 0.0, 1.0).astype(np.float32)


_INK_TABLE = _ink_table(NOISE_FLOOR)


def has_dark_background(paper: np.ndarray) -> bool:
    """True when the border of the picture is mostly dark: light ink on a dark ground, the way
    MNIST itself is stored (someone uploading an MNIST sample). The canvas never is."""
    border = np.concatenate([paper[0], paper[-1], paper[:, 0], paper[:, -1]])
    return bool(np.median(border) < 128)


def to_ink(paper: np.ndarray, *, noise_floor: float = NOISE_FLOOR) -> np.ndarray:
    """Uint8 paper to MNIST's convention - float32 white ink on black, in [0, 1] - dropping light
    noise below ``noise_floor`` with a levels adjustment (no hard step at the floor).

    Dark ink on light paper is inverted; a picture that already has a dark background is not.
    """
    table = _INK_TABLE if noise_floor == NOISE_FLOOR else _ink_table(noise_floor)
    if has_dark_background(paper):
        table = table[::-1]
    return table[paper]


def crop_to_ink(ink: np.ndarray, *, threshold: float = INK_THRESHOLD) -> np.ndarray:
    """The bounding box of the pixels at or above ``threshold``; ``NothingDrawn`` if it is blank.

    Blank means: fewer ink pixels than 0.05% of the image (at least 4, at most 400), or a single
    dot - a compact, round blob under 15% of the shorter image side, which is what a click without a
    drag leaves. A dot is no digit, and the network would answer it with a confident-looking guess.
    """
    mask = ink >= threshold
    count = int(np.count_nonzero(mask))
    height, width = ink.shape
    min_pixels = min(max(MIN_INK_PIXELS, round(MIN_INK_SHARE * height * width)), MAX_MIN_INK_PIXELS)
    if count < min_pixels:
        raise NothingDrawn("Nothing was drawn: draw a digit and try again.")
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    box_h, box_w = bottom - top, right - left
    long_side, short_side = max(box_h, box_w), min(box_h, box_w)
    if (
        long_side < DOT_MAX_SHARE * min(height, width)
        and long_side <= DOT_MAX_ASPECT * short_side
        and count >= DOT_MIN_FILL * box_h * box_w
    ):
        raise NothingDrawn("Only a dot was drawn: draw a digit and try again.")
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


def preprocess(
    data: bytes,
    *,
    max_side: int = MAX_SIDE,
    max_pixels: int = MAX_PIXELS,
    normalize_width: bool = True,
) -> np.ndarray:
    """PNG or JPEG bytes -> (28, 28) float32 in [0, 1], white ink on black, as MNIST was made."""
    image = decode_image(data, max_side=max_side, max_pixels=max_pixels)
    crop = crop_to_ink(to_ink(flatten_onto_white(image)))
    if normalize_width:
        crop = normalize_stroke_width(fit_into_box(crop, box=WORK_SIDE))
    return center_by_mass(stretch_contrast(fit_into_box(crop)))


# --- the JSON form of the API --------------------------------------------------------------------

_ACCEPTED_MEDIA_TYPES = frozenset({"image/png", "image/jpeg", "image/jpg"})


def decode_data_url(text: str) -> bytes:
    """Bytes from a ``data:image/png;base64,...`` URL (or JPEG) or from bare base64.

    Base64 is decoded strictly: whitespace, URL-safe characters or bad padding are refused. The
    media type is only a first filter; ``decode_image`` still goes by the magic bytes.
    """
    if not isinstance(text, str):
        raise InvalidImage("The image must be a string: a PNG data URL or base64.")
    text = text.strip()
    payload = text
    if text[:5].lower() == "data:":
        header, comma, payload = text[5:].partition(",")
        if not comma:
            raise InvalidImage("The data URL has no comma before its data.")
        media_type, *params = (part.strip().lower() for part in header.split(";"))
        if "base64" not in params:
            raise InvalidImage("The data URL must be base64-encoded (data:image/png;base64,...).")
        if media_type not in _ACCEPTED_MEDIA_TYPES:
            shown = media_type or "text/plain"
            raise UnsupportedImage(
                f"The data URL is of type {shown}; send image/png (or image/jpeg)."
            )
    if not payload:
        raise InvalidImage("The image is empty.")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidImage("The image is not valid base64.") from exc


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
