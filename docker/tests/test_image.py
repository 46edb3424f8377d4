"""docker/Dockerfile and the requirements split, checked without an engine: hadolint, what the
file says, and the serving packages alone (no TensorFlow) running the site's checks,
collectstatic and a prediction."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "docker" / "Dockerfile"


def stages() -> dict[str, list[tuple[str, str]]]:
    """The Dockerfile's instructions per stage name: {stage: [(INSTRUCTION, arguments)]}."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    result: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, arguments = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            current = arguments.split()[-1] if " AS " in arguments.upper() else arguments
            result[current] = []
        if current is not None:
            result[current].append((instruction, arguments.strip()))
    return result


def build_context(destination: Path) -> Path:
    """Copy what .dockerignore lets into the build context, as `COPY . .` sees it."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        for pattern in patterns:
            if pattern.startswith("**/"):
                if any(fnmatch.fnmatch(part, pattern[3:]) for part in parts):
                    return True
            elif any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes):
                return True
        return False

    for directory, subdirectories, files in os.walk(ROOT):
        relative = Path(directory).relative_to(ROOT)
        subdirectories[:] = [d for d in subdirectories if not ignored(str(relative / d))]
        for name in files:
            path = relative / name
            if not ignored(str(path)):
                (destination / path).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / path, destination / path)
    return destination


def requirement_names(path: Path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("-r "):
            names |= requirement_names(path.parent / line[3:].strip())
        elif line:
            names.add(re.split(r"[\[=<>~ ]", line)[0].lower())
    return names


def test_hadolint_finds_nothing():
    hadolint = Path(sys.executable).parent / "hadolint"
    result = subprocess.run(
        [str(hadolint), "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_two_targets_from_slim_python_311_serving_by_default():
    found = stages()
    assert list(found)[-1] == "serving", "a plain `docker build` must give the serving image"
    assert {"serving", "training"} <= set(found)
    args = DOCKERFILE.read_text()
    assert "ARG PYTHON_IMAGE=python:3.11-slim-bookworm" in args


@pytest.mark.parametrize("target", ["serving", "training"])
def test_each_image_runs_as_an_unprivileged_user(target):
    users = [arguments for instruction, arguments in stages()[target] if instruction == "USER"]
    assert users, f"{target} runs as root"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) >= 1000, users[-1]
    entrypoint = [a for i, a in stages()[target] if i == "ENTRYPOINT"]
    assert json.loads(entrypoint[-1]) == ["docker/entrypoint.sh"]


def test_the_serving_image_has_a_healthcheck_and_collected_static_files():
    serving = stages()["serving"]
    healthchecks = [a for i, a in serving if i == "HEALTHCHECK"]
    assert len(healthchecks) == 1
    assert healthchecks[0].endswith('CMD ["python", "docker/healthcheck.py"]')
    assert any(i == "RUN" and "manage.py collectstatic" in a for i, a in serving)


def test_the_serving_image_never_installs_tensorflow():
    serving_deps = stages()["serving-deps"]
    copied = [a for i, a in serving_deps if i == "COPY"]
    assert copied == ["requirements.txt /tmp/"]
    serving = requirement_names(ROOT / "requirements.txt")
    assert not {name for name in serving if "tensorflow" in name or name in {"keras", "tf-keras"}}
    training = requirement_names(ROOT / "requirements-train.txt")
    assert serving < training and "tensorflow-cpu" in training
    # Development and the tests install everything, training included.
    assert training < requirement_names(ROOT / "requirements-dev.txt")


def test_the_build_context_leaves_out_local_state_and_secrets():
    ignored = set((ROOT / ".dockerignore").read_text().splitlines())
    assert {".git", ".venv", ".cache", "var", ".env", "docker/compose.env", "**/tests"} <= ignored


def test_the_serving_packages_alone_run_the_site(serving_bin, tmp_path):
    """What the serving image holds (the build context's files and requirements.txt's packages,
    nothing else) passes the system checks, collects the static files under production
    settings and recognises a drawing; TensorFlow is not even installed there."""
    app = build_context(tmp_path / "app")
    assert not (app / ".venv").exists() and not (app / "recognizer" / "tests").exists()
    assert (app / "recognizer" / "ml" / "mnist_cnn.tflite").is_file()
    code = f"""
import importlib.util, os, sys
import mnistsite.settings as project_settings
project_settings.STATIC_ROOT = {str(tmp_path / "static")!r}
import django
django.setup()
from django.core.management import call_command
call_command("check", fail_level="WARNING")
call_command("collectstatic", interactive=False, verbosity=0)
import numpy as np
from recognizer import preprocessing
from recognizer.inference import get_recognizer
from training.strokes import drawn_digit_png
image = preprocessing.preprocess(drawn_digit_png(7, np.random.default_rng(1), variant=0))
print(get_recognizer().recognize(image).digit)
print(importlib.util.find_spec("tensorflow"), importlib.util.find_spec("keras"))
"""
    result = subprocess.run(
        [str(serving_bin / "python"), "-c", code],
        cwd=app,
        env={
            "PATH": f"{serving_bin}:/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "mnistsite.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_ENV_FILE": "",
            "DJANGO_SECRET_KEY": "collectstatic-only",
        },
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-2:] == ["7", "None None"]
    assert (tmp_path / "static" / "staticfiles.json").is_file()
