"""Redrawing digits as canvas strokes, and the non-digits of the eleventh class."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from recognizer import preprocessing
from training.drawings import non_digit_drawings, redrawn_digits
from training.nondigits import HELD_OUT, SYMBOLS, non_digit_strokes
from training.redraw import (
    VARIED,
    image_strokes,
    ink_coverage,
    redraw_images,
    redraw_strokes,
    render_for_model,
    trace_skeleton,
)
from training.strokes import drawn_digit_png


def mnist_like(digit: int, seed: int = 3) -> np.ndarray:
    """A digit as MNIST holds it: uint8 28x28, white on black (via the site's preprocessing)."""
    png = drawn_digit_png(digit, np.random.default_rng(seed), variant=0, pen_width=22.0)
    return np.rint(preprocessing.preprocess(png) * 255).astype(np.uint8)


def test_a_straight_line_traces_to_one_stroke_end_to_end():
    skeleton = np.zeros((40, 40), dtype=bool)
    skeleton[5:35, 20] = True
    (stroke,) = trace_skeleton(skeleton, upsample=1)
    ys = sorted((stroke[0][1], stroke[-1][1]))
    assert np.allclose(stroke[:, 0], 20)
    assert ys == [5, 34]


def test_a_ring_traces_to_a_closed_stroke():
    yy, xx = np.mgrid[:40, :40]
    radius = np.hypot(yy - 20, xx - 20)
    ring = (radius >= 9.5) & (radius < 10.5)
    from skimage.morphology import skeletonize

    strokes = trace_skeleton(skeletonize(ring), upsample=1)
    assert len(strokes) == 1
    assert np.hypot(*(strokes[0][0] - strokes[0][-1])) < 2  # it comes back to where it began


def test_a_redrawn_digit_keeps_its_shape():
    for digit in (0, 4, 7, 8):
        image = mnist_like(digit)
        strokes = image_strokes(image)
        assert strokes, f"no strokes traced for {digit}"
        drawing = redraw_strokes(strokes, np.random.default_rng(1), variation=0.0)
        redrawn = render_for_model(drawing)
        assert redrawn.shape == (28, 28) and redrawn.dtype == np.uint8
        # Same digit, same place: the ink of the two overlaps far more than chance.
        a, b = image > 80, redrawn > 80
        assert (a & b).sum() / (a | b).sum() > 0.35, digit


def test_parts_of_the_variation_can_be_held_still_on_the_same_random_stream():
    line = [np.array([[0.0, float(y)] for y in range(0, 21)])]  # a plain upright stroke
    varied = redraw_strokes(line, np.random.default_rng(4))
    still = redraw_strokes(line, np.random.default_rng(4), still=VARIED)
    # Pen, size and device-pixel ratio come from the same draws with and without the parts.
    assert (still.pen_width, still.scale, still.size) == (
        varied.pen_width,
        varied.scale,
        varied.size,
    )
    # Held still, a straight line stays straight and upright; varied (warped, slanted,
    # rotated) it does not.
    for drawing, straight in ((still, True), (varied, False)):
        xs = np.vstack(drawing.strokes)[:, 0]
        assert bool(np.ptp(xs) < 1.0) == straight, np.ptp(xs)


def test_only_named_parts_of_the_variation_can_be_held_still():
    with pytest.raises(ValueError, match="pen"):
        redraw_strokes(
            [np.array([[0.0, 0.0], [0.0, 9.0]])], np.random.default_rng(1), still={"pen"}
        )


def bold_nine() -> np.ndarray:
    """A 9 written small with a bold pen: its loop is filled in, so it thins to a line."""
    image = Image.new("L", (28, 28), 0)
    draw = ImageDraw.Draw(image)
    draw.ellipse([9, 4, 19, 14], fill=255)
    draw.line([(18, 9), (17, 24)], fill=255, width=4)
    return np.asarray(image)


def test_a_loop_the_pen_filled_in_is_redrawn_as_a_loop():
    image = bold_nine()
    strokes = image_strokes(image)
    points = np.vstack(strokes)
    across = points[(points[:, 1] > 7) & (points[:, 1] < 11), 0]  # the loop's middle rows
    # The pen goes down both sides of the loop, as the writer's did, not only down its middle.
    assert across.min() < 11 and across.max() > 17, sorted(across.round(1))
    assert ink_coverage(image, strokes) > 0.9


def test_traced_strokes_cover_the_ink_of_real_looking_digits():
    for digit in range(10):
        image = mnist_like(digit)
        assert ink_coverage(image, image_strokes(image)) > 0.8, digit


def test_redrawing_follows_the_seed():
    images = np.stack([mnist_like(d) for d in range(3)])
    first, again = redrawn_digits(images, seed=1), redrawn_digits(images, seed=1)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, redrawn_digits(images, seed=2))


def test_non_digits_are_mnist_shaped_and_reproducible():
    images, kinds = non_digit_drawings(40, seed=3)
    assert images.shape == (40, 28, 28) and images.dtype == np.uint8
    assert (images.max(axis=(1, 2)) == 255).all()
    again, _ = non_digit_drawings(40, seed=3)
    assert np.array_equal(images, again)
    assert {"scribble", "several digits"} <= set(kinds)


def test_held_out_symbols_are_never_drawn_for_training():
    rng = np.random.default_rng(0)
    trained = {non_digit_strokes(rng, family="symbol")[0] for _ in range(400)}
    held = {non_digit_strokes(rng, family="symbol", held_out=True)[0] for _ in range(200)}
    assert trained == set(SYMBOLS) - set(HELD_OUT)
    assert held == set(HELD_OUT)


def test_resampling_sees_each_placed_drawing_and_leaves_the_placing_alone():
    images = np.stack([mnist_like(d) for d in range(10)])
    seen = []

    def unchanged(strokes):
        seen.append(strokes)
        return strokes

    assert np.array_equal(
        redraw_images(images, seed=5, resample=unchanged), redraw_images(images, seed=5)
    )
    assert len(seen) == 10
    assert all(0 <= x <= 280 and 0 <= y <= 280 for strokes in seen for s in strokes for x, y in s)


def test_sparse_redrawn_digits_are_drawn_otherwise():
    images = np.stack([mnist_like(d) for d in range(10)])
    dense = redrawn_digits(images, seed=5)
    assert np.array_equal(dense, redrawn_digits(images, seed=5, sparse=0.0))
    every = redrawn_digits(images, seed=5, sparse=1.0)
    assert not any(np.array_equal(a, b) for a, b in zip(dense, every, strict=True))
