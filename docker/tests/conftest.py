"""Fixtures for the deployment's checks, which need no container engine."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def serving_bin() -> Path:
    """The serving image's packages alone (requirements.txt, so no TensorFlow), installed by
    `make serving-venv` into .cache/serving-venv/<hash of requirements.txt>/."""
    digest = hashlib.sha256((ROOT / "requirements.txt").read_bytes()).hexdigest()[:12]
    venv = ROOT / ".cache" / "serving-venv" / digest
    if not (venv / ".installed").is_file():
        pytest.fail(f"No serving virtualenv at {venv}: `make serving-venv` makes it.")
    return venv / "bin"
