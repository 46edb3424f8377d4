"""The training augmentation's elastic distortion (Simard, Steinkraus & Platt, 2003)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from training.network import AugmentConfig, augment_batch, elastic_warp


def _digits() -> np.ndarray:
    """Two crude digits, a ring and a bar, float32 (2, 28, 28, 1) in [0, 1]."""
    yy, xx = np.mgrid[0:28, 0:28]
    ring = (np.abs(np.hypot(yy - 14, xx - 14) - 7) < 1.5).astype(np.float32)
    bar = ((np.abs(xx - 14) < 2) & (yy > 4) & (yy < 24)).astype(np.float32)
    return np.stack([ring, bar])[..., np.newaxis]


def _warp(images, seed=(1, 2), **kwargs):
    seed = tf.constant(seed, tf.int64)
    return elastic_warp(tf.constant(images), seed, **kwargs).numpy()


def test_no_strength_leaves_the_images_as_they_are():
    images = _digits()
    np.testing.assert_allclose(_warp(images, alpha=0.0, sigma=4.0), images, atol=1e-6)
    np.testing.assert_allclose(
        _warp(images, alpha=34.0, sigma=4.0, probability=0.0), images, atol=1e-6
    )


def test_it_bends_the_strokes_but_keeps_the_digit():
    images = _digits()
    warped = _warp(images, alpha=34.0, sigma=4.0)
    for before, after in zip(images[..., 0], warped[..., 0], strict=True):
        assert np.abs(after - before).sum() > 0.1 * before.sum()  # the strokes moved
        assert 0.7 < after.sum() / before.sum() < 1.3  # about as much ink
        centre = [np.average(np.indices((28, 28))[i], weights=after) for i in (0, 1)]
        assert np.allclose(centre, 14, atol=2.5)  # in place, not shifted away
    assert warped.min() >= 0.0 and warped.max() <= 1.0


def test_a_seed_gives_one_distortion():
    images = _digits()
    first = _warp(images, seed=(3, 4), alpha=34.0, sigma=4.0)
    np.testing.assert_array_equal(first, _warp(images, seed=(3, 4), alpha=34.0, sigma=4.0))
    assert np.abs(first - _warp(images, seed=(5, 6), alpha=34.0, sigma=4.0)).max() > 0.1


def test_the_training_augmentation_uses_it_only_when_asked():
    images = tf.constant(_digits())
    seed = tf.constant([7, 8], tf.int64)
    plain = AugmentConfig(elastic_alpha=0.0)
    elastic = AugmentConfig(elastic_alpha=34.0, elastic_probability=1.0)
    a = augment_batch(images, seed, plain).numpy()
    np.testing.assert_array_equal(a, augment_batch(images, seed, plain).numpy())
    assert np.abs(a - augment_batch(images, seed, elastic).numpy()).max() > 0.1
