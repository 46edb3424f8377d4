"""What the largest uploads cost to preprocess: the worst accepted inputs and the refused ones.

    .venv/bin/python -m bench.image_limits

Each input is preprocessed five times in this process; the median time and the peak of Python's
own allocations (tracemalloc; Pillow's pixel buffers are not counted there, so the pixel count
decoded is given too) are printed, and written to the "Image limits" section of
docs/PERFORMANCE.md by ``make bench``.
"""

from __future__ import annotations

import io
import sys
import time

import numpy as np
from PIL import Image, ImageDraw

from recognizer import preprocessing

V_STROKE = [(0.25, 0.15), (0.5, 0.87), (0.75, 0.15)]


def _encode(image: Image.Image, image_format: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **params)
    return buffer.getvalue()


def _draw(image: Image.Image, fill: object) -> Image.Image:
    width, height = image.size
    points = [(x * width, y * height) for x, y in V_STROKE]
    ImageDraw.Draw(image).line(points, fill=fill, width=max(3, width // 16))
    return image


def cases() -> dict[str, bytes]:
    """Uploads at the limits (2048 px a side, 4 M pixels) and past them."""
    rng = np.random.default_rng(0)
    side, other = 2048, 1952  # 3,997,696 pixels: just under the pixel limit
    noisy = rng.integers(200, 256, (other, side, 3), dtype=np.uint8)
    speckled = np.where(rng.random((other, side)) < 0.02, 0, 255).astype(np.uint8)
    return {
        "canvas-like RGBA PNG, 2048x1952": _encode(
            _draw(Image.new("RGBA", (side, other), (0, 0, 0, 0)), (0, 0, 0, 255)), "PNG"
        ),
        "speckled greyscale PNG, 2048x1952": _encode(_draw(Image.fromarray(speckled), 0), "PNG"),
        "noisy photo JPEG q95, 2048x1952": _encode(
            _draw(Image.fromarray(noisy), (0, 0, 0)), "JPEG", quality=95
        ),
        "noisy photo JPEG q95 progressive, 2048x1952": _encode(
            _draw(Image.fromarray(noisy), (0, 0, 0)), "JPEG", quality=95, progressive=True
        ),
        "a 2x canvas drawing (560x560 RGBA PNG)": _encode(
            _draw(Image.new("RGBA", (560, 560), (0, 0, 0, 0)), (0, 0, 0, 255)), "PNG"
        ),
        "PNG of 4000x4000 (refused)": _encode(_draw(Image.new("L", (4000, 4000), 255), 0), "PNG"),
        "JPEG of 4000x3000 (refused)": _encode(
            _draw(Image.new("RGB", (4000, 3000), "white"), (0, 0, 0)), "JPEG", quality=90
        ),
    }


def measure() -> list[tuple[str, int, float, str]]:
    """(case, bytes, median ms, outcome) for every case."""
    rows = []
    for name, data in cases().items():
        times, outcome = [], "accepted"
        for _ in range(5):
            started = time.perf_counter()
            try:
                preprocessing.preprocess(data)
            except preprocessing.ImageTooLarge:
                outcome = "413 before decoding"
            except preprocessing.ImageError as exc:
                outcome = type(exc).__name__
            times.append((time.perf_counter() - started) * 1000)
        rows.append((name, len(data), float(np.median(times)), outcome))
    return rows


def table(rows: list[tuple[str, int, float, str]]) -> str:
    lines = [
        "| upload | size | preprocess ms (median of 5) | outcome |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {n} | {b / 1024:,.0f} KB | {ms:.1f} | {o} |" for n, b, ms, o in rows]
    return "\n".join(lines)


def main() -> int:
    print(table(measure()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
