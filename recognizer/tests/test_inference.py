import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings

from recognizer import preprocessing
from recognizer.inference import Recognition, Recognizer, get_recognizer
from recognizer.model_files import file_sha256
from training.strokes import drawn_digit_png

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def drawings() -> list[tuple[int, np.ndarray]]:
    rng = np.random.default_rng(5)
    return [(d, preprocessing.preprocess(drawn_digit_png(d, rng, variant=0))) for d in range(10)]


def test_the_served_model_is_the_configured_file():
    recognizer = get_recognizer()
    assert recognizer.model_path == Path(settings.MNIST_MODEL_PATH)
    assert recognizer.model_version == file_sha256(Path(settings.MNIST_MODEL_PATH))
    assert get_recognizer() is recognizer  # loaded once per process


def test_it_recognises_plain_drawings(drawings):
    recognizer = get_recognizer()
    answers = [recognizer.recognize(image) for _, image in drawings]
    assert [a.digit for a in answers] == [digit for digit, _ in drawings]
    for answer in answers:
        assert sum(answer.probabilities) == pytest.approx(1, abs=1e-4)
        assert answer.confidence == max(answer.probabilities)
        assert answer.ranked[0] == answer.digit


def test_unsure_follows_the_calibrated_threshold():
    recognizer = get_recognizer()
    assert 0.5 < recognizer.unsure_threshold < 1
    # Noise is nothing like a digit: the model must not be sure of it.
    noise = np.random.default_rng(0).random((28, 28), dtype=np.float32)
    answer = recognizer.recognize(noise)
    assert answer.unsure == (answer.confidence < recognizer.unsure_threshold)


def test_threads_share_one_model_safely(drawings):
    recognizer = get_recognizer()
    expected = [recognizer.recognize(image).probabilities for _, image in drawings]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda i: recognizer.recognize(drawings[i % 10][1]), range(200)))
    for index, result in enumerate(results):
        assert result.probabilities == expected[index % 10]


def test_serving_never_imports_tensorflow():
    code = (
        "import sys, django; django.setup();"
        "from recognizer.inference import get_recognizer; get_recognizer();"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"DJANGO_SETTINGS_MODULE": "mnistsite.settings", "DJANGO_DEBUG": "1", "PATH": ""},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


def test_without_its_litert_file_the_keras_model_is_converted(tmp_path, drawings):
    served = Path(settings.MNIST_MODEL_PATH)
    copy = tmp_path / "model.keras"
    shutil.copy(served, copy)
    shutil.copy(served.with_suffix(".json"), copy.with_suffix(".json"))

    converted = Recognizer(copy)
    shipped = get_recognizer()
    assert converted.model_version == shipped.model_version
    for _, image in drawings:
        ours, theirs = converted.recognize(image), shipped.recognize(image)
        assert ours.digit == theirs.digit
        assert ours.probabilities == pytest.approx(theirs.probabilities, abs=1e-4)


def test_a_digit_the_site_calls_not_a_digit_does_not_read_as_that_digit():
    """What a user sees decides: "That doesn't look like a digit" is not an answer of 4,
    whatever the network's likeliest digit. The benchmarks score with this."""
    probabilities = tuple(0.9 if d == 4 else 0.01 for d in range(10))
    answer = Recognition(digit=4, confidence=0.9, probabilities=probabilities, unsure=False)
    assert answer.reads_as(4)
    assert not answer.reads_as(9)
    rejected = replace(answer, not_a_digit_score=0.97, not_a_digit=True)
    assert not rejected.reads_as(4)
