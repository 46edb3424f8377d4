"""Untrusted bytes in, greyscale paper out: the only part of preprocessing that reads what a
client sent.

PNG or JPEG only, recognised by their magic bytes whatever the client claimed. The declared
pixel size is read from the PNG IHDR or the JPEG frame header and checked before Pillow sees
the bytes, so a tiny file declaring 100000x100000 pixels never allocates them. The limits fit
the product: the canvas sends at most about 1200 px a side, so anything past 2048 px a side or
4,000,000 pixels in all is refused with ``ImageTooLarge`` (413) before one pixel is decoded.
What is accepted is shrunk while it is decoded to at most ``WORK_MAX_SIDE`` a side (JPEG by
Pillow's ``draft``, which lets libjpeg scale by 1/2, 1/4 or 1/8 in the DCT; PNG by a box
``reduce`` right after inflating), so no accepted upload costs more than a few tens of
milliseconds.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import struct
import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from recognizer.preprocessing.errors import (
    ImageTooLarge,
    InvalidImage,
    UnsupportedImage,
)
from recognizer.preprocessing.geometry import has_dark_background

MAX_SIDE = 2048
MAX_PIXELS = 4_000_000
# What decoding may produce, in bytes: 2 M pixels of RGBA, 4 M of grey (8 MB); a quarter of that
# for a progressive JPEG. Measured in docs/PERFORMANCE.md ("Image limits"): tens of milliseconds.
MAX_DECODED_BYTES = 8 * 2**20
# Past this a side, the picture is box-averaged down before anything else looks at it. The
# drawing ends up 80 then 20 pixels tall, so a 1024 px working copy loses nothing the model
# could see, while the work per pixel after decoding stays bounded. The canvas (280 px at up to
# 3x device pixels) is never shrunk.
WORK_MAX_SIDE = 1024

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
    # Line breaks and spaces, as `base64` and MIME wrap it every 76 characters, are not data.
    payload = "".join(payload.split())
    if not payload:
        raise InvalidImage("The image is empty.")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidImage("The image is not valid base64.") from exc


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


@dataclass(frozen=True)
class Declared:
    """What an image's header promises, read before anything is decoded."""

    width: int
    height: int
    bytes_per_pixel: int  # once decoded: PNG by colour type and bit depth, JPEG by components
    progressive: bool = False  # a progressive JPEG is decoded whole, whatever its DCT scale
    scalable: bool = False  # a baseline JPEG, which libjpeg decodes at 1/2, 1/4 or 1/8 scale

    @property
    def decoded_bytes(self) -> int:
        return self.width * self.height * self.bytes_per_pixel


# PNG colour type -> channels (grey, RGB, palette, grey + alpha, RGBA).
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_JPEG_PROGRESSIVE_MARKERS = frozenset({0xC2, 0xC6, 0xCA, 0xCE})


def declared_size(data: bytes, image_format: str) -> Declared | None:
    """Read the size (and what decoding it costs) from the PNG IHDR or the JPEG frame header
    without decoding anything."""
    if image_format == "PNG":
        if len(data) < 26 or data[12:16] != b"IHDR":
            raise InvalidImage("The PNG is corrupt: it has no image header.")
        width, height = struct.unpack(">II", data[16:24])
        bit_depth, colour_type = data[24], data[25]
        channels = _PNG_CHANNELS.get(colour_type, 4)
        return Declared(width, height, channels * max(1, bit_depth // 8))
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
        if marker in _JPEG_SOF_MARKERS and i + 10 <= n:
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            progressive = marker in _JPEG_PROGRESSIVE_MARKERS
            return Declared(width, height, data[i + 9], progressive, scalable=not progressive)
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


def check_cost(declared: Declared, *, max_decoded_bytes: int) -> None:
    """Refuse what would cost too much to decode even within the pixel limits: a PNG inflates to
    every byte of every pixel (a 4 M pixel RGBA PNG is 16 MB), and a progressive JPEG is decoded
    whole before libjpeg can scale it down. A baseline JPEG is decoded at a reduced DCT scale."""
    if declared.scalable:
        return
    # libjpeg runs every scan of a progressive JPEG over the whole frame: measured, a quarter of
    # the bytes costs about what a PNG's inflating does.
    budget = max_decoded_bytes // 4 if declared.progressive else max_decoded_bytes
    if declared.decoded_bytes <= budget:
        return
    megabytes = declared.decoded_bytes / 2**20
    if declared.progressive:
        raise ImageTooLarge(
            f"A progressive JPEG of {declared.width}x{declared.height} pixels costs too much to "
            f"decode ({megabytes:.0f} MB; the limit is {budget / 2**20:.0f} MB): send a smaller "
            "image, a baseline JPEG or a PNG."
        )
    raise ImageTooLarge(
        f"The image is {declared.width}x{declared.height} pixels of {declared.bytes_per_pixel} "
        f"bytes ({megabytes:.0f} MB decoded); the limit is {budget / 2**20:.0f} MB: send a "
        "smaller or greyscale image."
    )


def _shrink_factor(width: int, height: int) -> int:
    return math.ceil(max(width, height) / WORK_MAX_SIDE)


def decode_image(
    data: bytes,
    *,
    max_side: int = MAX_SIDE,
    max_pixels: int = MAX_PIXELS,
    max_decoded_bytes: int = MAX_DECODED_BYTES,
) -> Image.Image:
    """Decode PNG or JPEG bytes into a loaded Pillow image, refusing anything unsafe or odd.

    The declared pixel size is checked from the header before Pillow sees the bytes, and again
    on Pillow's lazily opened image before ``load()``. A JPEG larger than ``WORK_MAX_SIDE`` is
    decoded straight to greyscale at a reduced DCT scale. Truncated files fail: this relies on
    Pillow's ``LOAD_TRUNCATED_IMAGES`` staying False (its default). JPEG photos are turned
    upright by their EXIF orientation.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InvalidImage("The image must be bytes.")
    data = bytes(data)
    if not data:
        raise InvalidImage("The image is empty.")
    image_format = sniff_format(data)
    declared = declared_size(data, image_format)
    if declared is not None:
        check_size(declared.width, declared.height, max_side=max_side, max_pixels=max_pixels)
        check_cost(declared, max_decoded_bytes=max_decoded_bytes)
    try:
        image = Image.open(io.BytesIO(data), formats=[image_format])
        check_size(*image.size, max_side=max_side, max_pixels=max_pixels)
        if image_format == "PNG" and getattr(image, "is_animated", False):
            raise UnsupportedImage("Animated PNG images are not supported; send a still image.")
        if image_format == "JPEG":
            factor = _shrink_factor(*image.size)
            if factor > 1:
                width, height = image.size
                image.draft("L", (max(1, width // factor), max(1, height // factor)))
        image.load()
    except (ImageTooLarge, InvalidImage, UnsupportedImage):
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


@dataclass(frozen=True)
class Page:
    """The decoded page as uint8 paper (255 = white), or only the part of it that can hold ink.

    The blank and dot rules are relative to the whole page, so its size travels with the crop.
    """

    paper: np.ndarray
    height: int
    width: int
    dark_background: bool


def page_from_image(image: Image.Image) -> Page:
    """``flatten_onto_white``, doing only the work that can matter.

    Where the picture is transparent it is white paper whatever its colour, so a canvas drawing
    (transparent but for the strokes) is cropped to the bounding box of its opaque pixels, found
    by Pillow in C, before anything else; its border is then paper, never a dark ground. A
    picture larger than ``WORK_MAX_SIDE`` is box-averaged down (after that crop).
    """
    factor = _shrink_factor(*image.size)
    width, height = image.size
    if image.mode in ("RGBA", "LA"):
        box = image.getbbox(alpha_only=True)
        if box is None:  # wholly transparent: blank paper
            return Page(
                np.full((1, 1), 255, np.uint8),
                height // factor,
                width // factor,
                dark_background=False,
            )
        left, top, right, bottom = box
        if left > 0 and top > 0 and right < width and bottom < height:
            crop = image.crop(box)
            if factor > 1:
                crop = crop.reduce(factor)
            return Page(
                flatten_onto_white(crop), height // factor, width // factor, dark_background=False
            )
    if factor > 1:
        if image.mode.startswith("I") or "transparency" in image.info:
            # Rare: a key colour or palette transparency does not survive averaging, so these
            # are flattened at full size first.
            return _whole_page(Image.fromarray(flatten_onto_white(image)).reduce(factor))
        if image.mode not in ("L", "LA", "RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.mode.upper() else "RGB")
        image = image.reduce(factor)
    return _whole_page(image)


def _whole_page(image: Image.Image) -> Page:
    paper = flatten_onto_white(image)
    height, width = paper.shape
    return Page(paper, height, width, dark_background=has_dark_background(paper))
