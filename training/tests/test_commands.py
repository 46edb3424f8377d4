"""train_mnist and evaluate_mnist end to end: a one-epoch run on a few hundred images, the shipped
model's report, and the errors a person can make on the command line."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from training.evaluation import DIGIT_REJECT_RATE, tflite_outputs

REPORT_KEYS = {
    "model_version",
    "test_accuracy",
    "test_loss",
    "test_count",
    "per_class_accuracy",
    "confusion_matrix",
    "epochs_run",
    "duration_seconds",
    "data_source",
    "data_sha256",
    "tensorflow_version",
    "keras_version",
    "params",
    "macs_per_image",
    "command",
    "unsure_threshold",
    "unsure_rule",
    "unsure_validation",
    "tflite",
    "history",
    "not_a_digit_threshold",
    "not_a_digit_rule",
    "not_a_digit_validation",
    "validation_redrawn_accuracy",
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(name: str, *args: str) -> str:
    out = io.StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def quick_model(tmp_path_factory) -> tuple[Path, str]:
    """One epoch on 500 images for each of two ensemble members, evaluated on the first 500
    test images."""
    output = tmp_path_factory.mktemp("model") / "quick.keras"
    stdout = run(
        "train_mnist",
        "--members",
        "2",
        "--epochs",
        "1",
        "--limit",
        "500",
        "--test-limit",
        "500",
        "--output",
        str(output),
    )
    return output, stdout


def test_it_writes_model_tflite_and_report(quick_model):
    output, stdout = quick_model
    report_path, tflite_path = output.with_suffix(".json"), output.with_suffix(".tflite")
    assert output.is_file() and report_path.is_file() and tflite_path.is_file()
    assert "member 1/2  epoch 1/1" in stdout and "member 2/2  epoch 1/1" in stdout
    assert "test accuracy" in stdout

    report = json.loads(report_path.read_text())
    assert REPORT_KEYS <= set(report)
    # Far better than chance even after 4 steps: batch norm statistics were settled.
    assert report["batch_norm_settled"] is True
    assert report["test_accuracy"] > 0.5
    assert report["model_version"] == sha256(output)
    assert report["test_count"] == 500
    matrix = np.array(report["confusion_matrix"])
    assert matrix.shape == (10, 10) and matrix.sum() == 500
    assert report["test_accuracy"] == pytest.approx(np.trace(matrix) / 500)
    assert report["epochs_run"] == 1
    assert report["members"] == 2 and [m["seed"] for m in report["member_reports"]] == [2019, 2020]
    assert all(m["test_accuracy"] > 0.5 for m in report["member_reports"])
    # The default mix: per five MNIST images one template drawing and one non-digit, and one
    # MNIST image in two redrawn as strokes.
    assert report["mnist_train_count"] == 500 and report["drawn_train_count"] == 100
    assert report["redrawn_train_count"] == 250 and report["non_digit_train_count"] == 100
    # No drawings from sparse pointer events unless asked for.
    assert report["sparse_share"] == 0.0
    assert report["train_count"] == 950
    assert report["classes"] == 11
    assert report["command"].startswith("python manage.py train_mnist")
    assert 0.0 <= report["unsure_threshold"] <= 1.0
    assert report["unsure_validation"]["flagged_fraction"] <= 0.03
    assert 0.5 <= report["not_a_digit_threshold"] <= 1.0
    assert report["not_a_digit_validation"]["digits_rejected_fraction"] <= DIGIT_REJECT_RATE
    assert report["tflite"]["sha256"] == sha256(tflite_path)
    assert report["tflite"]["source_model_version"] == report["model_version"]
    assert report["params"] > 0 and report["macs_per_image"] > 0


def test_the_tflite_file_gives_the_keras_answers(quick_model):
    import keras

    from training.data import load_mnist
    from training.evaluation import predict_probabilities

    output, _ = quick_model
    images = load_mnist().x_test[:500]
    lite, _ = tflite_outputs(output.with_suffix(".tflite"), images)
    reference = predict_probabilities(keras.saving.load_model(output), images)
    # Its weights are stored in 8 bits, so its probabilities move a little, not its answers.
    assert (lite.argmax(1) == reference.argmax(1)).mean() >= 0.99
    assert np.abs(lite - reference).max() < 0.05


def test_the_tflite_file_stores_its_weights_in_eight_bits(quick_model):
    """Dynamic-range quantization: the convolutions' and dense layers' weights are int8 (a
    quarter of the bytes, and LiteRT's int8 kernels), the input and outputs stay float32."""
    from ai_edge_litert.interpreter import Interpreter

    output, _ = quick_model
    report = json.loads(output.with_suffix(".json").read_text())
    assert report["tflite"]["quantization"] == "dynamic-range int8 weights"
    interpreter = Interpreter(model_path=str(output.with_suffix(".tflite")))
    weights = [d for d in interpreter.get_tensor_details() if d["dtype"] == np.int8]
    int8_values = sum(int(np.prod(d["shape"])) for d in weights)
    assert int8_values >= 0.9 * report["params"]
    assert interpreter.get_input_details()[0]["dtype"] == np.float32
    assert {d["dtype"] for d in interpreter.get_output_details()} == {np.float32}


def test_the_keras_file_keeps_ten_probabilities_and_the_tflite_adds_not_a_digit(quick_model):
    import keras

    from training.data import load_mnist
    from training.evaluation import tflite_outputs, to_model_input

    output, _ = quick_model
    images = load_mnist().x_test[:50]
    keras_answer = np.asarray(keras.saving.load_model(output)(to_model_input(images)))
    assert keras_answer.shape == (50, 10)
    assert np.allclose(keras_answer.sum(axis=1), 1, atol=1e-5)
    _, scores = tflite_outputs(output.with_suffix(".tflite"), images)
    assert scores.shape == (50,) and ((scores >= 0) & (scores <= 1)).all()


def test_without_non_digits_the_network_has_ten_classes(tmp_path):
    output = tmp_path / "ten.keras"
    run("train_mnist", "--epochs", "1", "--limit", "200", "--test-limit", "100", "--members", "1",
        "--redrawn", "0", "--drawn", "0", "--non-digits", "0", "--output", str(output))  # fmt: skip
    report = json.loads(output.with_suffix(".json").read_text())
    assert report["classes"] == 10 and report["not_a_digit_threshold"] is None


def test_it_refuses_to_overwrite_without_force(quick_model):
    output, _ = quick_model
    before = sha256(output)
    with pytest.raises(CommandError, match="--force"):
        run("train_mnist", "--epochs", "1", "--limit", "100", "--members", "1",
            "--output", str(output))  # fmt: skip
    assert sha256(output) == before


def test_evaluate_reproduces_the_quick_report(quick_model):
    output, _ = quick_model
    report = json.loads(output.with_suffix(".json").read_text())
    result = json.loads(
        run("evaluate_mnist", "--model", str(output), "--test-limit", "500", "--json")
    )
    assert result["test_accuracy"] == report["test_accuracy"]
    assert result["confusion_matrix"] == report["confusion_matrix"]
    assert result["model_version"] == report["model_version"]


def test_evaluate_reproduces_the_shipped_report():
    model = Path(settings.MNIST_MODEL_PATH)
    report = json.loads(model.with_suffix(".json").read_text())
    result = json.loads(run("evaluate_mnist", "--json"))
    assert result["model_version"] == report["model_version"] == sha256(model)
    assert result["test_accuracy"] == report["test_accuracy"]
    assert result["confusion_matrix"] == report["confusion_matrix"]
    assert result["per_class_accuracy"] == report["per_class_accuracy"]
    assert report["test_count"] == 10_000 and report["test_accuracy"] >= 0.995
    assert report["tflite"]["sha256"] == sha256(model.with_suffix(".tflite"))


CALIBRATED = (
    "validation_accuracy",
    "validation_redrawn_accuracy",
    "unsure_threshold",
    "unsure_rule",
    "unsure_validation",
    "not_a_digit_threshold",
    "not_a_digit_rule",
    "not_a_digit_validation",
)


def copy_model(source: Path, directory: Path) -> Path:
    """The model's three files in ``directory``, under the same names."""
    for suffix in (".keras", ".tflite", ".json"):
        shutil.copy(source.with_suffix(suffix), directory / source.with_suffix(suffix).name)
    return directory / source.name


def test_recalibrating_gives_the_figures_training_wrote(quick_model, tmp_path):
    """The validation set is rebuilt from the report alone: thrown-away thresholds come back
    as training computed them, without training."""
    output = copy_model(quick_model[0], tmp_path)
    trained = json.loads(output.with_suffix(".json").read_text())
    spoiled = {**trained, "unsure_threshold": 0.1, "not_a_digit_threshold": 0.99}
    spoiled["not_a_digit_validation"] = {}
    output.with_suffix(".json").write_text(json.dumps(spoiled))

    stdout = run("train_mnist", "--recalibrate", "--output", str(output))

    recalibrated = json.loads(output.with_suffix(".json").read_text())
    # Every figure as training wrote it, and a record of the recalibration beside them.
    assert recalibrated.pop("recalibrated")["command"].endswith("--recalibrate")
    assert recalibrated == trained
    assert recalibrated["model_version"] == sha256(output)
    assert f"not_a_digit_threshold: 0.99 -> {trained['not_a_digit_threshold']}" in stdout


def test_recalibrating_refuses_a_report_of_other_weights(quick_model, tmp_path):
    output = copy_model(quick_model[0], tmp_path)
    report = json.loads(output.with_suffix(".json").read_text())
    output.with_suffix(".json").write_text(json.dumps({**report, "model_version": "0" * 64}))
    with pytest.raises(CommandError, match="was not written for"):
        run("train_mnist", "--recalibrate", "--output", str(output))


def test_recalibrating_converts_the_litert_file_again(quick_model, tmp_path):
    """A LiteRT file of another conversion (here, none at all) is replaced by the one training
    would write today, and the report describes it."""
    output = copy_model(quick_model[0], tmp_path)
    trained = json.loads(output.with_suffix(".json").read_text())
    output.with_suffix(".tflite").unlink()

    run("train_mnist", "--recalibrate", "--output", str(output), "--verbosity", "0")

    recalibrated = json.loads(output.with_suffix(".json").read_text())
    assert sha256(output.with_suffix(".tflite")) == trained["tflite"]["sha256"]
    assert recalibrated["tflite"] == trained["tflite"]


def test_recalibrating_needs_the_keras_file(quick_model, tmp_path):
    output = copy_model(quick_model[0], tmp_path)
    output.unlink()
    with pytest.raises(CommandError, match="quick.keras does not exist"):
        run("train_mnist", "--recalibrate", "--output", str(output))


def test_recalibrating_explains_a_report_that_lacks_what_it_needs(quick_model, tmp_path):
    output = copy_model(quick_model[0], tmp_path)
    report = json.loads(output.with_suffix(".json").read_text())
    del report["non_digit_train_count"]
    output.with_suffix(".json").write_text(json.dumps(report))
    with pytest.raises(CommandError, match="non_digit_train_count"):
        run("train_mnist", "--recalibrate", "--output", str(output))


def test_the_shipped_thresholds_follow_the_rules_in_the_code(tmp_path):
    """A change of the conversion or the calibration rules must ship with the LiteRT file and
    report they give (``train_mnist --recalibrate``): the served file and thresholds are the
    ones training would write today."""
    shipped = Path(settings.MNIST_MODEL_PATH)
    output = copy_model(shipped, tmp_path)
    run("train_mnist", "--recalibrate", "--output", str(output), "--verbosity", "0")
    recalibrated = json.loads(output.with_suffix(".json").read_text())
    report = json.loads(shipped.with_suffix(".json").read_text())
    assert sha256(output.with_suffix(".tflite")) == sha256(shipped.with_suffix(".tflite"))
    assert recalibrated["tflite"] == report["tflite"]
    for key in CALIBRATED:
        # Float thresholds to a millionth: LiteRT's sums may round otherwise on another CPU.
        expected = report[key]
        if isinstance(expected, float):
            expected = pytest.approx(expected, abs=1e-6)
        assert recalibrated[key] == expected, key
    # The operating point chosen on purpose: at most one real digit in a thousand told it is
    # none, and still most non-digits rejected.
    rejected = report["not_a_digit_validation"]
    assert rejected["digits_rejected_fraction"] <= 0.001
    assert rejected["non_digits_rejected_fraction"] >= 0.95


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--output", "/nonexistent-dir/m.keras"], "does not exist"),
        (["--output", "{tmp}/m.h5"], "must end in .keras"),
        (["--epochs", "0", "--output", "{tmp}/m.keras"], "epochs must be at least 1"),
        (["--limit", "-5", "--output", "{tmp}/m.keras"], "limit must be at least 1"),
        (["--batch-size", "0", "--output", "{tmp}/m.keras"], "batch size must be at least 1"),
        (["--data", "{tmp}/missing.npz", "--output", "{tmp}/m.keras"], "not found"),
        (["--members", "0", "--output", "{tmp}/m.keras"], "members must be at least 1"),
        (["--sparse", "1.5", "--output", "{tmp}/m.keras"], "sparse must be a share from 0 to 1"),
    ],
    ids=[
        "no-dir",
        "not-keras",
        "epochs",
        "limit",
        "batch-size",
        "missing-data",
        "members",
        "sparse",
    ],
)
def test_it_explains_bad_arguments(tmp_path, args, message):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    with pytest.raises(CommandError, match=message):
        run("train_mnist", *args)
    assert not (tmp_path / "m.keras").exists()


def test_evaluate_explains_a_missing_model(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        run("evaluate_mnist", "--model", str(tmp_path / "none.keras"))


def test_recalibrating_an_unreadable_model_says_so(quick_model, tmp_path):
    output = copy_model(quick_model[0], tmp_path)
    output.write_bytes(b"not a keras file")
    report = json.loads(output.with_suffix(".json").read_text())
    output.with_suffix(".json").write_text(json.dumps({**report, "model_version": sha256(output)}))
    with pytest.raises(CommandError, match="cannot load model"):
        run("train_mnist", "--recalibrate", "--output", str(output), "--verbosity", "0")
