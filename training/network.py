"""The networks (deep, ours and the 2019 seed's), their cost, and drawing-like augmentation.

TensorFlow and Keras are imported inside the functions, never at module import, so Django's
``manage.py check`` and most tests do not pay for them.

"Ours" keeps the seed's cheap trunk (two 5x5 convolutions, each followed by 2x2 max-pooling, with
"valid" padding so the second works on 12x12 and the dense layer sees 4x4x64) and adds batch
normalisation, a 256-unit dense layer instead of 1024 (3x fewer parameters, same accuracy), dropout
where it pays, and augmentation that imitates how people draw. Per image it costs about 4 M
multiply-accumulates, which an interpreter such as LiteRT runs in ~0.1 ms.

"Deep", the default since 2026-12-06, has two 3x3 convolutions where "ours" has one 5x5: the
same field of view and 2.5x the multiply-accumulates (about 10 M per network). It learns the
extra writing styles and shapes of the training drawings without losing MNIST accuracy, which
"ours" did not (docs/DRAWN_DIGITS.md, "The served model's architecture").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

ARCHITECTURES = ("ours", "deep", "seed")
# What `train_mnist` trains and the site serves.
DEFAULT_ARCH = "deep"


@dataclass(frozen=True)
class AugmentConfig:
    """How far augmentation may move a digit. The site crops to the ink, fits it into 20x20 keeping
    the aspect ratio and centres it by mass in 28x28, exactly as MNIST was made; so the digits it
    feeds the network differ from MNIST's by little: a tilt, a slightly different size or centre,
    and above all the stroke thickness (a canvas brush vs. a pen scanned and anti-aliased)."""

    rotation_degrees: float = 12.0
    scale: float = 0.10  # zoom in [1 - scale, 1 + scale]
    shear: float = 0.15  # horizontal shear factor in [-shear, shear] (slanted handwriting)
    shift_pixels: float = 2.0
    # Stroke thickness: blend towards a dilation (thicker) or an erosion (thinner) of the image with
    # a cross-shaped 3x3 element; the blend amount is uniform in [-thin, +thick].
    thin: float = 0.5
    thick: float = 1.0
    thickness_probability: float = 0.6
    # Elastic distortion (Simard, Steinkraus & Platt, 2003): each pixel moves by a random field
    # smoothed with a Gaussian of ``elastic_sigma`` pixels and scaled by ``elastic_alpha``, for
    # ``elastic_probability`` of the images. 0 turns it off.
    elastic_alpha: float = 0.0
    elastic_sigma: float = 4.0
    elastic_probability: float = 0.5


def build_model(arch: str = DEFAULT_ARCH, *, classes: int = 10, name: str | None = None) -> Any:
    """An uncompiled Keras model: (N, 28, 28, 1) float32 in [0, 1] -> (N, classes) probabilities.

    With 11 classes the last is "not a digit"; :func:`digit_model` makes the served ten-way model
    from it. The class scores come from a layer named ``logits`` either way."""
    import keras
    from keras import layers

    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; choose from {', '.join(ARCHITECTURES)}")
    inputs = keras.Input(shape=(28, 28, 1), name="image")
    if arch == "seed":
        # The 2019 prototype (the classic TensorFlow "Deep MNIST" network): 5x5 "same" convolutions,
        # a 1024-unit dense layer, no normalisation, no augmentation.
        x = layers.Conv2D(32, 5, padding="same", activation="relu", name="conv1")(inputs)
        x = layers.MaxPooling2D(2, name="pool1")(x)
        x = layers.Conv2D(64, 5, padding="same", activation="relu", name="conv2")(x)
        x = layers.MaxPooling2D(2, name="pool2")(x)
        x = layers.Dropout(0.25, name="dropout1")(x)
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(1024, activation="relu", name="dense1")(x)
        x = layers.Dense(classes, name="logits")(x)
        outputs = layers.Softmax(name="probabilities")(x)
        return keras.Model(inputs, outputs, name="mnist_seed_cnn")

    x = inputs
    for i, filters in enumerate((32, 64), start=1):
        # No bias before batch norm: its beta does that job.
        if arch == "deep":
            # Two 3x3 convolutions where "ours" has one 5x5: the same field of view, one more
            # non-linearity, 2.5x the multiply-accumulates (28 -> 26 -> 24, 12 -> 10 -> 8).
            for j in (1, 2):
                x = layers.Conv2D(filters, 3, use_bias=False, name=f"conv{i}_{j}")(x)
                x = layers.BatchNormalization(momentum=0.9, name=f"bn{i}_{j}")(x)
                x = layers.Activation("relu", name=f"relu{i}_{j}")(x)
        else:
            x = layers.Conv2D(filters, 5, use_bias=False, name=f"conv{i}")(x)
            x = layers.BatchNormalization(momentum=0.9, name=f"bn{i}")(x)
            x = layers.Activation("relu", name=f"relu{i}")(x)
        x = layers.MaxPooling2D(2, name=f"pool{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(0.25, name="dropout1")(x)
    x = layers.Dense(256, use_bias=False, name="dense1")(x)
    x = layers.BatchNormalization(momentum=0.9, name="bn3")(x)
    x = layers.Activation("relu", name="relu3")(x)
    x = layers.Dropout(0.4, name="dropout2")(x)
    x = layers.Dense(classes, name="logits")(x)
    outputs = layers.Softmax(name="probabilities")(x)
    return keras.Model(inputs, outputs, name=name or "mnist_cnn")


def ensemble_model(members: list[Any]) -> Any:
    """One network that averages the class scores of independently trained ``members``.

    Networks trained from different seeds make partly different mistakes, so their average is
    right more often than any one of them. The average sits in a layer named ``logits``, so
    :func:`digit_model` and the site's "not a digit" output work on it as on a single network,
    and the served LiteRT file stays one file with one call per drawing."""
    import keras
    from keras import layers

    if len(members) == 1:
        return members[0]
    inputs = keras.Input(shape=(28, 28, 1), name="image")
    scores = [
        keras.Model(m.inputs, m.get_layer("logits").output, name=m.name)(inputs) for m in members
    ]
    x = layers.Average(name="logits")(scores)
    outputs = layers.Softmax(name="probabilities")(x)
    return keras.Model(inputs, outputs, name="mnist_cnn_ensemble")


def digit_model(trained: Any) -> Any:
    """The served Keras model (the file's contract: ten probabilities) from a trained one.

    An eleven-class network gives the softmax of its first ten scores, the digit it would be if
    it is a digit; its "not a digit" score stays in the file, in the ``logits`` layer, for
    ``recognizer.inference.serving_model``. Built-in layers only, so any Keras loads the file."""
    import keras
    from keras import layers

    logits = trained.get_layer("logits").output
    classes = logits.shape[-1]
    if classes == 10:
        return trained
    x = layers.Reshape((classes, 1), name="scores")(logits)
    x = layers.Cropping1D((0, classes - 10), name="digit_scores")(x)
    x = layers.Flatten(name="digit_logits")(x)
    outputs = layers.Softmax(name="digit_probabilities")(x)
    return keras.Model(trained.inputs, outputs, name=trained.name)


def count_macs(model: Any) -> int:
    """Multiply-accumulates for one image: convolutions and dense layers (batch norm folds into the
    preceding layer at inference; pooling, activations and dropout have none)."""
    import keras
    from keras import layers

    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.Model):  # an ensemble's member
            total += count_macs(layer)
        elif isinstance(layer, layers.Conv2D):
            kh, kw = layer.kernel_size
            in_ch = layer.input.shape[-1]
            _, oh, ow, oc = layer.output.shape
            total += oh * ow * oc * kh * kw * in_ch
        elif isinstance(layer, layers.Dense):
            total += layer.input.shape[-1] * layer.units
    return int(total)


def count_params(model: Any) -> int:
    return int(model.count_params())


def augment_batch(images: Any, seed: Any, config: AugmentConfig) -> Any:
    """Augment a batch of float32 (B, 28, 28, 1) images in [0, 1]; ``seed`` is a stateless seed
    (shape [2] int) so a run is reproducible. Pure TensorFlow, vectorised over the batch: one
    projective transform per batch combines rotation, scale, shear and shift."""
    import tensorflow as tf

    batch = tf.shape(images)[0]
    seeds = tf.random.experimental.stateless_split(seed, num=8)

    def uniform(i: int, low: float, high: float) -> Any:
        return tf.random.stateless_uniform([batch], seeds[i], minval=low, maxval=high)

    # Stroke thickness first, on the image as drawn.
    amount = uniform(0, -config.thin, config.thick)
    apply = tf.cast(uniform(1, 0.0, 1.0) < config.thickness_probability, tf.float32)
    amount = tf.reshape(amount * apply, [-1, 1, 1, 1])
    padded = tf.pad(images, [[0, 0], [1, 1], [1, 1], [0, 0]])
    neighbours = tf.stack(
        [
            images,
            padded[:, :-2, 1:-1],
            padded[:, 2:, 1:-1],
            padded[:, 1:-1, :-2],
            padded[:, 1:-1, 2:],
        ]
    )
    dilated = tf.reduce_max(neighbours, axis=0)
    eroded = tf.reduce_min(neighbours, axis=0)
    target = tf.where(amount > 0, dilated, eroded)
    images = images + tf.abs(amount) * (target - images)

    if config.elastic_alpha > 0:
        images = elastic_warp(
            images,
            seeds[7],
            alpha=config.elastic_alpha,
            sigma=config.elastic_sigma,
            probability=config.elastic_probability,
        )

    # Then geometry. The transform maps each output pixel to the input pixel it samples.
    angle = uniform(2, -1.0, 1.0) * (config.rotation_degrees * math.pi / 180.0)
    scale = uniform(3, 1.0 - config.scale, 1.0 + config.scale)
    shear = uniform(4, -config.shear, config.shear)
    tx = uniform(5, -config.shift_pixels, config.shift_pixels)
    ty = uniform(6, -config.shift_pixels, config.shift_pixels)
    cos, sin = tf.cos(angle), tf.sin(angle)
    # Forward map (about the centre): A = scale * R(angle) @ Shear; output = A (input - c) + c + t.
    # Inverse: input = A^-1 (output - c - t) + c, with A^-1 = Shear^-1 @ R(-angle) / scale.
    a00 = (cos + shear * sin) / scale  # Shear^-1 = [[1, -shear], [0, 1]] applied to R(-angle)
    a01 = (sin - shear * cos) / scale
    a10 = -sin / scale
    a11 = cos / scale
    c = 13.5
    ox = c + tx
    oy = c + ty
    b0 = c - (a00 * ox + a01 * oy)
    b1 = c - (a10 * ox + a11 * oy)
    zeros = tf.zeros_like(a00)
    transforms = tf.stack([a00, a01, b0, a10, a11, b1, zeros, zeros], axis=1)
    images = tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=transforms,
        output_shape=tf.constant([28, 28], tf.int32),
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
        fill_value=0.0,
    )
    return tf.clip_by_value(images, 0.0, 1.0)


def elastic_warp(
    images: Any, seed: Any, *, alpha: float, sigma: float, probability: float = 1.0
) -> Any:
    """Simard et al.'s elastic distortion of a batch of (B, 28, 28, 1) images: a random
    displacement in [-1, 1] per pixel and axis, smoothed by a Gaussian of ``sigma`` pixels and
    scaled by ``alpha``, applied to ``probability`` of the images; bilinear sampling, zero
    outside. ``seed`` is a stateless seed (shape [2]), like the rest of ``augment_batch``.

    Not ``keras.layers.RandomElasticTransform``: it ties the smoothing to the strength (at most
    alpha 2.8 px with sigma 1.4 px on 28x28), so it cannot express Simard's alpha 34, sigma 4,
    and it draws from its own stateful seed rather than the run's."""
    import tensorflow as tf

    batch = tf.shape(images)[0]
    size = 28
    field_seed, pick_seed = tf.unstack(tf.random.experimental.stateless_split(seed, num=2))
    field = tf.random.stateless_uniform([batch, size, size, 2], field_seed, -1.0, 1.0)
    radius = int(math.ceil(3 * sigma))
    taps = tf.range(-radius, radius + 1, dtype=tf.float32)
    kernel = tf.exp(-(taps**2) / (2.0 * sigma * sigma))
    kernel = kernel / tf.reduce_sum(kernel)
    column = tf.tile(tf.reshape(kernel, [-1, 1, 1, 1]), [1, 1, 2, 1])
    row = tf.tile(tf.reshape(kernel, [1, -1, 1, 1]), [1, 1, 2, 1])
    field = tf.nn.depthwise_conv2d(field, column, [1, 1, 1, 1], "SAME")
    field = tf.nn.depthwise_conv2d(field, row, [1, 1, 1, 1], "SAME")
    apply = tf.cast(tf.random.stateless_uniform([batch], pick_seed) < probability, tf.float32)
    field = field * alpha * tf.reshape(apply, [-1, 1, 1, 1])

    grid_y, grid_x = tf.meshgrid(
        tf.range(size, dtype=tf.float32), tf.range(size, dtype=tf.float32), indexing="ij"
    )
    sample_y = grid_y + field[..., 0]
    sample_x = grid_x + field[..., 1]
    y0 = tf.floor(sample_y)
    x0 = tf.floor(sample_x)
    wy = sample_y - y0
    wx = sample_x - x0
    flat = tf.reshape(images, [batch, size * size])

    def pixel(yy: Any, xx: Any) -> Any:
        inside = (yy >= 0) & (yy <= size - 1) & (xx >= 0) & (xx <= size - 1)
        yi = tf.cast(tf.clip_by_value(yy, 0, size - 1), tf.int32)
        xi = tf.cast(tf.clip_by_value(xx, 0, size - 1), tf.int32)
        index = tf.reshape(yi * size + xi, [batch, size * size])
        values = tf.reshape(tf.gather(flat, index, batch_dims=1), [batch, size, size])
        return values * tf.cast(inside, tf.float32)

    warped = (
        pixel(y0, x0) * (1 - wy) * (1 - wx)
        + pixel(y0, x0 + 1) * (1 - wy) * wx
        + pixel(y0 + 1, x0) * wy * (1 - wx)
        + pixel(y0 + 1, x0 + 1) * wy * wx
    )
    return warped[..., tf.newaxis]
