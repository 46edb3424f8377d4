"""The redrawn check's options: parts of the variation left out on the check's own digits,
and other parts refused before any model is loaded."""

import numpy as np
import pytest

from bench import drawn_digits_mnist
from training.drawings import to_uint8
from training.redraw import VARIED
from training.strokes import drawn_digit_png


def test_still_names_only_parts_of_the_variation(capsys):
    with pytest.raises(SystemExit) as exit_:
        drawn_digits_mnist.main(["--count", "1", "--still", "warp,pen"])
    assert exit_.value.code == 2
    assert "--still: no part of the variation called pen" in capsys.readouterr().err


def test_less_variation_redraws_each_digit_with_the_checks_own_pen_size_and_place():
    images = np.stack(
        [to_uint8(drawn_digit_png(d % 10, np.random.default_rng(d))) for d in range(16)]
    )

    def redraw(**less):
        return drawn_digits_mnist.redraw_test_digits(images, np.random.default_rng(5), **less)

    full, full_groups = redraw()
    for less in ({"still": VARIED}, {"variation": 0.0}):
        drawn, groups = redraw(**less)
        # Digit for digit the same pen and size (so the runs compare like with like), and the
        # shapes are not the same drawings.
        assert groups == full_groups, less
        assert (drawn != full).any(axis=(1, 2)).mean() > 0.5, less


def test_the_float32_twin_is_the_served_weights_without_quantization(tmp_path):
    """The inference figure's baseline: the same model file and report, its LiteRT file
    converted without int8 weights."""
    from ai_edge_litert.interpreter import Interpreter

    from recognizer.inference import Recognizer

    twin = drawn_digits_mnist.float32_twin(drawn_digits_mnist.MODEL, tmp_path)
    served, baseline = Recognizer(drawn_digits_mnist.MODEL), Recognizer(twin)
    assert baseline.model_version == served.model_version
    assert baseline.not_a_digit_threshold == served.not_a_digit_threshold
    details = Interpreter(model_path=str(twin.with_suffix(".tflite"))).get_tensor_details()
    assert not [d for d in details if d["dtype"] == np.int8]
    for digit in range(10):
        image = to_uint8(drawn_digit_png(digit, np.random.default_rng(digit))) / np.float32(255)
        assert baseline.recognize(image).digit == served.recognize(image).digit
