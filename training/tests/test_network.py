"""The ensemble: members' class scores averaged, served like one network."""

from __future__ import annotations

import numpy as np

from training.network import build_model, count_macs, digit_model, ensemble_model


def random_members(count: int) -> list:
    import keras

    members = []
    for index in range(count):
        keras.utils.set_random_seed(100 + index)
        members.append(build_model("ours", classes=11, name=f"member_{index}"))
    return members


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_the_ensemble_averages_its_members_scores():
    import keras

    members = random_members(2)
    images = np.random.default_rng(0).random((8, 28, 28, 1)).astype(np.float32)
    scores = [
        np.asarray(keras.Model(m.inputs, m.get_layer("logits").output)(images)) for m in members
    ]
    together = np.asarray(ensemble_model(members)(images))
    assert np.allclose(together, softmax((scores[0] + scores[1]) / 2), atol=1e-5)
    # Not just either member's answer.
    assert not np.allclose(together, softmax(scores[0]), atol=1e-3)


def test_the_served_ensemble_keeps_the_files_contract_and_costs_each_member():
    members = random_members(3)
    ensemble = ensemble_model(members)
    served = digit_model(ensemble)
    images = np.zeros((2, 28, 28, 1), np.float32)
    assert np.asarray(served(images)).shape == (2, 10)
    assert count_macs(ensemble) == 3 * count_macs(members[0])


def test_one_member_is_that_network():
    (member,) = random_members(1)
    assert ensemble_model([member]) is member


def test_the_deep_variant_keeps_the_contract_at_two_and_a_half_times_the_cost():
    ours = build_model("ours", classes=11)
    deep = build_model("deep", classes=11)
    images = np.zeros((2, 28, 28, 1), np.float32)
    assert np.asarray(deep(images)).shape == (2, 11)
    assert deep.get_layer("logits").output.shape[-1] == 11
    assert 2.4 < count_macs(deep) / count_macs(ours) < 2.6
