"""What the largest uploads cost to preprocess: the worst accepted inputs and the refused ones.

    .venv/bin/python -m bench.image_limits

Each input is preprocessed five times in this process; the median CPU and wall times are
printed, and written to the "Image limits" section of docs/PERFORMANCE.md by ``make bench``.
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
    """Uploads at the limits (2048 px a side, 4 M pixels, 8 MB decoded, 2 MB for a progressive
    JPEG) and past them."""
    rng = np.random.default_rng(0)
    side, other = 2048, 1952  # 3,997,696 pixels: just under the pixel limit
    rgba_side = 1448  # 1448 x 1448 x 4 bytes: just under 8 MB decoded
    grey_progressive = 1448  # 1448 x 1448 x 1 byte: just under the 2 MB of a progressive JPEG
    rgb_progressive = 836  # 836 x 836 x 3 bytes: the same

    def noisy(width: int, height: int, channels: int) -> Image.Image:
        shape = (height, width, channels) if channels > 1 else (height, width)
        return Image.fromarray(rng.integers(200, 256, shape, dtype=np.uint8))

    speckled = np.where(rng.random((other, side)) < 0.02, 0, 255).astype(np.uint8)
    transparent = Image.new("RGBA", (rgba_side, rgba_side), (0, 0, 0, 0))
    return {
        "canvas-like RGBA PNG, 1448x1448": _encode(_draw(transparent, (0, 0, 0, 255)), "PNG"),
        "speckled greyscale PNG, 2048x1952": _encode(_draw(Image.fromarray(speckled), 0), "PNG"),
        "noisy photo JPEG q95, 2048x1952": _encode(
            _draw(noisy(side, other, 3), (0, 0, 0)), "JPEG", quality=95
        ),
        "noisy greyscale JPEG q95 progressive, 1448x1448": _encode(
            _draw(noisy(grey_progressive, grey_progressive, 1), 0),
            "JPEG",
            quality=95,
            progressive=True,
        ),
        "noisy photo JPEG q95 progressive, 836x836": _encode(
            _draw(noisy(rgb_progressive, rgb_progressive, 3), (0, 0, 0)),
            "JPEG",
            quality=95,
            progressive=True,
        ),
        "a 280x280 canvas drawing (the most the page sends)": _encode(
            _draw(Image.new("RGBA", (280, 280), (0, 0, 0, 0)), (0, 0, 0, 255)), "PNG"
        ),
        "RGBA PNG, 2048x1952 (refused: 16 MB decoded)": _encode(
            _draw(Image.new("RGBA", (side, other), (0, 0, 0, 0)), (0, 0, 0, 255)), "PNG"
        ),
        "noisy photo JPEG progressive, 2048x1952 (refused)": _encode(
            _draw(noisy(side, other, 3), (0, 0, 0)), "JPEG", quality=95, progressive=True
        ),
        "PNG of 4000x4000 (refused)": _encode(_draw(Image.new("L", (4000, 4000), 255), 0), "PNG"),
        "JPEG of 4000x3000 (refused)": _encode(
            _draw(Image.new("RGB", (4000, 3000), "white"), (0, 0, 0)), "JPEG", quality=90
        ),
    }


def measure() -> list[tuple[str, int, float, float, str]]:
    """(case, bytes, median CPU ms, median wall ms, outcome) for every case. CPU time is what an
    upload costs the server; wall time on a shared machine says as much about the neighbours."""
    rows = []
    for name, data in cases().items():
        times, cpu, outcome = [], [], "accepted"
        for _ in range(5):
            started, cpu_started = time.perf_counter(), time.process_time()
            try:
                preprocessing.preprocess(data)
            except preprocessing.ImageTooLarge:
                outcome = "413, from the header"
            except preprocessing.ImageError as exc:
                outcome = type(exc).__name__
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
        rows.append((name, len(data), float(np.median(cpu)), float(np.median(times)), outcome))
    return rows


def table(rows: list[tuple[str, int, float, float, str]]) -> str:
    lines = [
        "| upload | size | preprocess CPU ms | wall ms | outcome |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [f"| {n} | {b / 1024:,.0f} KB | {c:.1f} | {w:.1f} | {o} |" for n, b, c, w, o in rows]
    return "\n".join(lines)


def main() -> int:
    print(table(measure()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
