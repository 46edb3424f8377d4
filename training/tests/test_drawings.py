import numpy as np
import pytest

from training.drawings import sparse_sampler, synthetic_drawings


def test_drawings_are_mnist_shaped_and_balanced():
    images, labels = synthetic_drawings(30, seed=1)
    assert images.shape == (30, 28, 28)
    assert images.dtype == np.uint8
    assert np.bincount(labels, minlength=10).tolist() == [3] * 10
    # White ink on black, reaching full intensity, like MNIST.
    assert (images.max(axis=(1, 2)) == 255).all()
    assert np.median(images) == 0


def test_drawings_follow_the_seed():
    first, first_labels = synthetic_drawings(10, seed=4)
    again, again_labels = synthetic_drawings(10, seed=4)
    other, _ = synthetic_drawings(10, seed=5)
    assert np.array_equal(first, again) and np.array_equal(first_labels, again_labels)
    assert not np.array_equal(first, other)


def test_a_sparse_share_changes_that_share_and_leaves_the_rest_as_they_were():
    dense, labels = synthetic_drawings(200, seed=3)
    mixed, mixed_labels = synthetic_drawings(200, seed=3, sparse=0.3)
    assert np.array_equal(labels, mixed_labels)
    changed = [not np.array_equal(a, b) for a, b in zip(dense, mixed, strict=True)]
    assert 40 <= sum(changed) <= 80  # about 60 of 200


def test_sparse_strokes_are_drawn_as_the_page_draws_far_apart_events():
    stroke = [(float(x), 100.0 + 40.0 * np.sin(x / 30.0)) for x in np.arange(40.0, 240.0, 2.0)]
    (sparse,) = sparse_sampler(1.0, seed=[1])([stroke])
    line = np.asarray(sparse)
    # The same ends, densely drawn, but cutting the curve's bends: no longer on the sine.
    assert line[0] == pytest.approx(stroke[0]) and line[-1] == pytest.approx(stroke[-1])
    assert np.hypot(*np.diff(line, axis=0).T).max() <= 3.5
    off = np.abs(line[:, 1] - (100.0 + 40.0 * np.sin(line[:, 0] / 30.0)))
    assert off.max() > 1.0


def test_no_sparse_share_leaves_the_strokes_alone():
    stroke = [(10.0, 10.0), (20.0, 30.0), (40.0, 35.0)]
    assert sparse_sampler(0.0, seed=[1])([stroke]) == [stroke]
