"""The served model's eleventh score, "not a digit", through the API to the record."""

import base64
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings

from recognizer import preprocessing
from recognizer.inference import Recognizer, get_recognizer
from recognizer.records.tables import Prediction
from training.nondigits import SYMBOLS, place_non_digit
from training.strokes import drawn_digit, render_strokes, template_strokes

URL = "/api/v1/predict"


def symbol_png(name: str, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    strokes = place_non_digit(
        template_strokes(SYMBOLS[name][0], rng), rng, pen_width=18.0, size=170, center=(140, 140)
    )
    return render_strokes(strokes, pen_width=18.0)


def twelve_png(seed: int = 0) -> bytes:
    """ "12" as a person writes it: a 1, a gap, a 2."""
    rng = np.random.default_rng(seed)
    one = drawn_digit(1, rng, size=140, center=(85, 140), variant=0, variation=0.3)
    two = drawn_digit(2, rng, size=140, center=(185, 140), variant=0, variation=0.3)
    return render_strokes(one + two, pen_width=18.0)


def post(client, png: bytes):
    body = {"image": "data:image/png;base64," + base64.b64encode(png).decode()}
    return client.post(URL, data=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("name", ["A", "plus", "star", "heart", "house"])
def test_the_served_model_rejects_a_symbol(name):
    answer = get_recognizer().recognize(preprocessing.preprocess(symbol_png(name)))
    assert answer.not_a_digit
    assert answer.not_a_digit_score >= get_recognizer().not_a_digit_threshold


@pytest.mark.parametrize("name", ["rectangle", "diamond", "moon", "cloud"])
def test_the_served_model_rejects_closed_shapes_wherever_they_are_drawn(name):
    """Closed outlines read as a confident 0 once (a box, a diamond, a crescent moon, a
    cloud): 20 drawings each, at any size and place, with the page's pens."""
    rng = np.random.default_rng(5)
    rejected = 0
    for _ in range(20):
        pen = float(rng.choice([10.0, 18.0, 28.0]))
        template = SYMBOLS[name][rng.integers(len(SYMBOLS[name]))]
        strokes = place_non_digit(template_strokes(template, rng), rng, pen_width=pen)
        png = render_strokes(strokes, pen_width=pen)
        rejected += get_recognizer().recognize(preprocessing.preprocess(png)).not_a_digit
    assert rejected >= 18


def test_the_served_model_rejects_two_digits():
    assert get_recognizer().recognize(preprocessing.preprocess(twelve_png())).not_a_digit


def test_the_served_model_accepts_digits():
    rng = np.random.default_rng(9)
    recognizer = get_recognizer()
    for digit in range(10):
        png = render_strokes(drawn_digit(digit, rng, variant=0), pen_width=18.0)
        answer = recognizer.recognize(preprocessing.preprocess(png))
        assert not answer.not_a_digit, digit
        assert answer.digit == digit


def test_without_its_litert_file_the_converted_model_still_rejects(tmp_path):
    served = Path(settings.MNIST_MODEL_PATH)
    copy = tmp_path / "model.keras"
    shutil.copy(served, copy)
    shutil.copy(served.with_suffix(".json"), copy.with_suffix(".json"))
    image = preprocessing.preprocess(symbol_png("A"))
    converted, shipped = Recognizer(copy).recognize(image), get_recognizer().recognize(image)
    assert converted.not_a_digit_score == pytest.approx(shipped.not_a_digit_score, abs=1e-4)
    assert converted.not_a_digit


@pytest.mark.django_db(databases=["default", "cassandra"])
def test_the_api_says_not_a_digit_and_the_record_keeps_the_digit(session_client):
    response = post(session_client, symbol_png("A"))
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["not_a_digit"] is True
    assert 0 <= answer["digit"] <= 9 and len(answer["probabilities"]) == 10
    row = Prediction.objects.get(id=answer["id"])
    assert row.not_a_digit is True
    assert row.digits == str(answer["digit"])


@pytest.mark.django_db(databases=["default", "cassandra"])
def test_a_digit_is_not_rejected(session_client, one_png):
    answer = post(session_client, one_png).json()
    assert answer["not_a_digit"] is False and answer["digit"] == 1
    assert Prediction.objects.get(id=answer["id"]).not_a_digit is False
