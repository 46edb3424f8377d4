import numpy as np

from training.drawings import synthetic_drawings


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
