"""Driving Debian's Chromium with Playwright: shared by the browser tests and benchmarks.

Never a downloaded browser: Playwright launches /usr/bin/chromium (Debian's package), with the
flags that keep it from reaching out to a network this machine does not have.
"""

from __future__ import annotations

import math

from playwright.sync_api import Page

from training.strokes import CANVAS_SIDE

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def thin(stroke, spacing: float):
    kept = [stroke[0]]
    for x, y in stroke[1:-1]:
        if math.dist(kept[-1], (x, y)) >= spacing:
            kept.append((x, y))
    if len(stroke) > 1:
        kept.append(stroke[-1])
    return kept


def canvas_box(page: Page) -> dict[str, float]:
    box = page.locator("#canvas").bounding_box()
    assert box is not None
    return box


def draw_with_mouse(page: Page, strokes) -> None:
    """Strokes are in 280x280 canvas coordinates; they are scaled to the canvas's real size."""
    box = canvas_box(page)
    scale = box["width"] / CANVAS_SIDE
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x * scale, box["y"] + y * scale)
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * scale, box["y"] + y * scale, steps=2)
        page.mouse.up()
