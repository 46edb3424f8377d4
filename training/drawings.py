"""Synthetic canvas drawings for training: what the site's canvas sends, as the site sees it.

MNIST was written with pens on paper forms by American writers; the site gets mouse and
finger strokes of one fixed width, at any size. Three kinds of drawing teach the network that
domain, each rendered like the browser canvas and put through the site's own preprocessing:

- :func:`synthetic_drawings`: digits from ``training.strokes``' templates (a flag on the 1, a
  bar on the 7, ...);
- :func:`redrawn_digits`: MNIST training digits redrawn as pen strokes (``training.redraw``):
  real hands in the canvas's domain;
- :func:`non_digit_drawings`: letters, symbols, shapes, scribbles and several digits at once
  (``training.nondigits``), the eleventh class.

Each comes from a random stream derived from the training seed and its own stream number,
never the ones the benchmarks use (``bench.drawn_digits``), so those stay held-out checks.

A share of each kind (``sparse``) is drawn from sparse pointer events (:func:`sparse_sampler`):
a fast hand on a browser without coalesced events, a tablet sampling slowly, a replayed
recording. Their own random stream decides which, so the other drawings stay as they were.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from recognizer import preprocessing
from training import nondigits
from training.redraw import PENS, image_strokes, redraw_images
from training.strokes import Stroke, drawn_digit, render_strokes, sparse_strokes

# Keep these streams apart from the benchmarks', whatever seed each is given.
STREAM = 0x5EED_D4A3
REDRAW_STREAM = 0x5EED_D4A4
NON_DIGIT_STREAM = 0x5EED_D4A5
SPARSE_STREAM = 0x5EED_D4A6

# Sparse drawings' pointer events lie this far apart along the strokes, in drawing heights
# (9-45 px on a digit 150 px tall; the usual events are 2-11 px apart at any size).
SPARSE_SPACING = (0.06, 0.3)

Progress = Callable[[int, int], None]
Resampler = Callable[[list[Stroke]], list[Stroke]]


def sparse_sampler(share: float, *, seed: list[int]) -> Resampler:
    """Strokes -> the same strokes, or for ``share`` of the calls (at random) as the page draws
    them from pointer events far apart (:func:`training.strokes.sparse_strokes`)."""
    rng = np.random.default_rng([SPARSE_STREAM, *seed])

    def sample(strokes: list[Stroke]) -> list[Stroke]:
        if share <= 0 or rng.random() >= share:
            return strokes
        height = max(float(np.ptp(np.vstack(strokes)[:, 1])), 1.0)
        spacing = height * rng.uniform(*SPARSE_SPACING)
        return sparse_strokes(strokes, spacing)

    return sample


def to_uint8(png: bytes) -> np.ndarray:
    return np.rint(preprocessing.preprocess(png) * 255).astype(np.uint8)


def synthetic_drawings(
    count: int, *, seed: int, sparse: float = 0.0, progress: Progress | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` drawn digits as uint8 (N, 28, 28) white-on-black images and their labels,
    as many of each digit as ``count`` allows; ``sparse`` of them from sparse events."""
    rng = np.random.default_rng([STREAM, seed])
    sampled = sparse_sampler(sparse, seed=[STREAM, seed])
    images = np.zeros((count, 28, 28), dtype=np.uint8)
    labels = np.arange(count, dtype=np.int64) % 10
    for index, digit in enumerate(labels):
        pen = float(rng.choice(PENS))
        size = rng.uniform(40, 250)
        centre = (rng.uniform(30, 250), rng.uniform(30, 250)) if rng.random() < 0.5 else None
        strokes = sampled(drawn_digit(int(digit), rng, size=size, center=centre, pen_width=pen))
        images[index] = to_uint8(
            render_strokes(strokes, pen_width=pen, supersample=2, compress_level=0)
        )
        if progress is not None and (index + 1) % 1000 == 0:
            progress(index + 1, count)
    order = rng.permutation(count)
    return images[order], labels[order]


def redrawn_digits(
    images: np.ndarray, *, seed: int, sparse: float = 0.0, progress: Progress | None = None
) -> np.ndarray:
    """MNIST training images redrawn on the canvas and preprocessed, in the same order;
    ``sparse`` of them from sparse events."""
    return redraw_images(
        images,
        seed=[REDRAW_STREAM, seed],
        resample=sparse_sampler(sparse, seed=[REDRAW_STREAM, seed]),
        progress=progress,
    )


def non_digit_drawings(
    count: int,
    *,
    seed: int | list[int],
    digit_images: np.ndarray | None = None,
    held_out: bool = False,
    sparse: float = 0.0,
    progress: Progress | None = None,
) -> tuple[np.ndarray, list[str]]:
    """``count`` non-digits as uint8 (N, 28, 28) images and the kind of each. "Several digits"
    are made of ``digit_images`` redrawn (templates if None); ``held_out`` draws the symbols
    that training never sees; ``sparse`` of them are drawn from sparse events."""
    stream = [NON_DIGIT_STREAM, *np.atleast_1d(seed).tolist()]
    rng = np.random.default_rng(stream)
    sampled = sparse_sampler(sparse, seed=stream)

    def digit_strokes() -> list[np.ndarray]:
        if digit_images is None:
            return nondigits.template_digit_strokes(rng)
        strokes = image_strokes(digit_images[rng.integers(len(digit_images))])
        return strokes or nondigits.template_digit_strokes(rng)

    images = np.zeros((count, 28, 28), dtype=np.uint8)
    kinds: list[str] = []
    index = 0
    while index < count:
        kind, unit = nondigits.non_digit_strokes(
            rng, held_out=held_out, digit_strokes=digit_strokes
        )
        pen = float(rng.choice(PENS))
        centre = (rng.uniform(30, 250), rng.uniform(30, 250)) if rng.random() < 0.5 else None
        strokes = sampled(nondigits.place_non_digit(unit, rng, pen_width=pen, center=centre))
        png = render_strokes(
            strokes, pen_width=pen, scale=float(rng.choice([1.0, 2.0])), supersample=1,
            compress_level=0,
        )  # fmt: skip
        try:
            images[index] = to_uint8(png)
        except preprocessing.ImageError:
            continue  # a scribble small enough to read as a dot: draw another
        kinds.append(kind)
        index += 1
        if progress is not None and index % 1000 == 0:
            progress(index, count)
    return images, kinds
