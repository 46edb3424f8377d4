"""Synthetic drawn digits for training: what the site's canvas sends, as the site sees it.

MNIST was written with pens on paper forms by American writers; the site gets mouse and
finger strokes of one fixed width, at any size, often with a flag on the 1 or a bar on the 7.
Adding a share of drawings made by ``training.strokes`` (rendered like the browser canvas and
put through the site's own preprocessing) teaches the network that domain. They are made
from a random stream derived from the training seed, never the ones the drawn-digit
benchmark uses (``bench.drawn_digits``), so that benchmark stays a held-out check.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from recognizer import preprocessing
from training.strokes import drawn_digit, render_strokes

# Pen widths on a 280 px canvas: the page's 18 px most of the time, thinner and thicker too.
PENS = (10.0, 14.0, 18.0, 18.0, 18.0, 24.0, 28.0)
# Keeps this stream apart from the benchmark's, whatever seed each is given.
STREAM = 0x5EED_D4A3


def synthetic_drawings(
    count: int, *, seed: int, progress: Callable[[int, int], None] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` drawn digits as uint8 (N, 28, 28) white-on-black images and their labels,
    as many of each digit as ``count`` allows."""
    rng = np.random.default_rng([STREAM, seed])
    images = np.zeros((count, 28, 28), dtype=np.uint8)
    labels = np.arange(count, dtype=np.int64) % 10
    for index, digit in enumerate(labels):
        pen = float(rng.choice(PENS))
        size = rng.uniform(40, 250)
        centre = (rng.uniform(30, 250), rng.uniform(30, 250)) if rng.random() < 0.5 else None
        strokes = drawn_digit(int(digit), rng, size=size, center=centre, pen_width=pen)
        png = render_strokes(strokes, pen_width=pen, supersample=2)
        images[index] = np.rint(preprocessing.preprocess(png) * 255).astype(np.uint8)
        if progress is not None and (index + 1) % 1000 == 0:
            progress(index + 1, count)
    order = rng.permutation(count)
    return images[order], labels[order]
