"""The writing-styles benchmark: what it counts, and that its styles are drawings of their own."""

import numpy as np

from bench.writing_styles import STYLES, Tally, drawing
from recognizer.inference import Recognition
from training.strokes import CANVAS_SIDE, TEMPLATES


def answer(digit: int, *, rejected: bool = False) -> Recognition:
    return Recognition(
        digit=digit, confidence=0.9, probabilities=(0.01,) * 10, unsure=False,
        not_a_digit=rejected,
    )  # fmt: skip


def test_a_tally_counts_a_rejected_drawing_of_the_right_digit_as_rejected_not_right():
    tally = Tally()
    for each in (answer(4), answer(4), answer(9), answer(4, rejected=True), answer(9), answer(5)):
        tally.add(each, 4)
    assert (tally.right, tally.rejected, tally.wrong, tally.count) == (2, 1, {9: 2, 5: 1}, 6)
    assert tally.misread() == "9 (2), 5 (1), not a digit (1)"


def test_a_tally_with_every_answer_right_has_nothing_misread():
    tally = Tally()
    tally.add(answer(3), 3)
    assert tally.misread() == "-"


def test_no_style_is_a_copy_of_one_of_its_digits_templates():
    # Only a literal copy: a style is mostly a template's digit with a stroke more or a
    # proportion changed, which no measure of ink overlap separates (the module says so).
    for name, (digit, style) in STYLES.items():
        as_lists = repr(style)
        assert all(as_lists != repr(template) for template in TEMPLATES[digit]), name


def test_every_style_is_drawn_on_the_canvas_60_to_230_px_tall():
    rng = np.random.default_rng(3)
    for name, (_, style) in STYLES.items():
        for pen in (10.0, 18.0, 28.0):
            for _ in range(20):
                points = np.vstack([np.asarray(s) for s in drawing(style, rng, pen=pen)])
                assert points.min() >= pen / 2 and points.max() <= CANVAS_SIDE - pen / 2, name
                height = np.ptp(points[:, 1])
                # The pointer events sample the curve, so a turning point may fall just short.
                assert 0.9 * max(60, 4 * pen) <= height <= 230, (name, pen, height)
