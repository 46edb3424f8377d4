"""Benchmarks write their figures into sections of files under docs/."""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def write_section(filename: str, heading: str, body: str, *, title: str) -> Path:
    """Replace (or append) the ``## heading`` section of ``docs/filename``."""
    path = DOCS / filename
    text = path.read_text() if path.exists() else f"# {title}\n"
    section = f"## {heading}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    DOCS.mkdir(exist_ok=True)
    path.write_text(text)
    return path


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[rank]
