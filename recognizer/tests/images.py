"""Image bytes for tests: Pillow images saved as PNG, and hand-made PNGs for bad input."""

import io
import struct
import zlib

import numpy as np
from PIL import Image


def png_bytes(image: Image.Image, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **params)
    return buffer.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_declaring(width: int, height: int) -> bytes:
    """A valid, tiny PNG whose header claims width x height 8-bit grey pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def ink_side(png: bytes) -> int:
    """The longer side of a canvas PNG's ink, counting pixels at least half covered."""
    alpha = np.asarray(Image.open(io.BytesIO(png)).getchannel("A")) > 127
    rows, cols = np.flatnonzero(alpha.any(axis=1)), np.flatnonzero(alpha.any(axis=0))
    return int(max(rows[-1] - rows[0], cols[-1] - cols[0])) + 1
