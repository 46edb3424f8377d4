"""Drawings whose pointer events lie far apart: a fast hand, a slow tablet, a replayed recording.

    .venv/bin/python -m bench.sparse_events [--count 2000] [--seed 7] [--model PATH]
        [--also PATH] [--no-docs]

The page draws a stroke as quadratic curves through the midpoints of its pointer events
(``static/js/canvas.js``). A browser gives coalesced events a few pixels apart; without them
(a synthetic or replayed stroke, a browser that has none), or from a tablet that samples every
100 ms, the events can be tens of pixels apart, and the page rounds the shape off at each one.

Each drawing is made once (MNIST *test* digits redrawn as strokes, as in
``bench.drawn_digits_mnist``, and template drawings, from random streams training never uses),
then drawn again from its strokes resampled every 12, 20, 30 and 45 canvas pixels and joined as
the page joins them (``training.strokes.page_curve``), and read by each model. Writes the
"Sparse pointer events" section of docs/DRAWN_DIGITS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from bench.docs import write_section
from bench.drawn_digits import PENS, choose_pen
from bench.drawn_digits_mnist import MODEL
from recognizer.inference import Recognizer
from recognizer.preprocessing import ImageError
from training.data import load_mnist
from training.drawings import to_uint8
from training.redraw import image_strokes, redraw_strokes
from training.strokes import Stroke, drawn_digit, render_strokes, sparse_strokes

SPACINGS = (None, 12.0, 20.0, 30.0, 45.0)  # canvas px between events; None: as drawn
# Streams of their own: not training's, nor the other benchmarks'.
REDRAW_STREAM = 0xBE7C_0021
TEMPLATE_STREAM = 0xBE7C_0022


def spaced(strokes: list[Stroke], spacing: float | None) -> list[Stroke]:
    if spacing is None:
        return strokes
    return sparse_strokes(strokes, spacing)


def drawings(count: int, seed: int) -> list[tuple[str, int, list[Stroke], float, float]]:
    """(set, label, strokes, pen, device-pixel ratio) for ``count`` redrawn test digits and as
    many template drawings."""
    mnist = load_mnist()
    out = []
    rng = np.random.default_rng([REDRAW_STREAM, seed])
    for image, label in zip(mnist.x_test[:count], mnist.y_test[:count], strict=True):
        traced = image_strokes(image)
        if traced:
            pen = PENS[choose_pen(rng)]
            drawing = redraw_strokes(traced, rng, pen_width=pen)
            out.append(("redrawn", int(label), drawing.strokes, pen, drawing.scale))
    rng = np.random.default_rng([TEMPLATE_STREAM, seed])
    for index in range(count):
        pen = PENS[choose_pen(rng)]
        centre = (rng.uniform(30, 250), rng.uniform(30, 250)) if rng.random() < 0.5 else None
        strokes = drawn_digit(
            index % 10, rng, size=rng.uniform(45, 250), center=centre, pen_width=pen
        )
        out.append(("templates", index % 10, strokes, pen, float(rng.choice([1.0, 2.0]))))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="of each set")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument(
        "--also", type=Path, action="append", default=[], help="another model on the same drawings"
    )
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs/ alone")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    models = {path: Recognizer(path) for path in [args.model, *args.also]}
    items = drawings(args.count, args.seed)
    # right[model][set][spacing]
    right = {m: {s: dict.fromkeys(SPACINGS, 0) for s in ("redrawn", "templates")} for m in models}
    totals = {"redrawn": 0, "templates": 0}
    for done, (kind, label, strokes, pen, scale) in enumerate(items, 1):
        totals[kind] += 1
        for spacing in SPACINGS:
            png = render_strokes(
                spaced(strokes, spacing), pen_width=pen, scale=scale, compress_level=1
            )
            try:
                image = to_uint8(png) / np.float32(255)
            except ImageError:  # a small ring resampled to its two ends, which meet: a dot
                continue
            for path, recognizer in models.items():
                answer = recognizer.recognize(image)
                right[path][kind][spacing] += int(answer.reads_as(label))
        if done % 500 == 0:
            print(f"  drew and read {done}/{len(items)}", flush=True)
    elapsed = time.perf_counter() - started

    def name(spacing: float | None) -> str:
        return "as drawn (events 2-11 px apart)" if spacing is None else f"{spacing:g} px apart"

    header = "| events | " + " | ".join(
        f"{kind}, `{recognizer.model_version[:12]}`"
        for recognizer in models.values()
        for kind in ("redrawn", "templates")
    )
    lines = [header + " |", "| --- " * (1 + 2 * len(models)) + "|"]
    for spacing in SPACINGS:
        cells = [
            f"{right[path][kind][spacing] / totals[kind]:.2%} "
            f"({right[path][kind][spacing]}/{totals[kind]})"
            for path in models
            for kind in ("redrawn", "templates")
        ]
        lines.append(f"| {name(spacing)} | " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    print(table)
    print(f"({elapsed:.0f} s)")
    if not args.no_docs:
        command = " ".join(["python -m bench.sparse_events", *(argv or sys.argv[1:])])
        body = (
            f"Measured {time.strftime('%Y-%m-%d', time.gmtime())} with `{command}` "
            f"({elapsed:.0f} s). Each drawing is made once: {totals['redrawn']} MNIST test "
            f"digits redrawn as strokes and {totals['templates']} template drawings (pens as in "
            '"MNIST test digits redrawn as strokes"), then drawn again from its strokes '
            "resampled every so many canvas pixels and joined as the page joins pointer events "
            "(quadratic curves through their midpoints, `training.strokes.page_curve`). A fast "
            "hand on a browser without coalesced events, a tablet that samples every 100 ms, or "
            "a replayed recording gives events that far apart. Right answers ('not a digit', "
            "or a drawing preprocessing refuses as a dot, count as wrong):\n\n" + table
        )
        path = write_section("DRAWN_DIGITS.md", "Sparse pointer events", body, title="Drawn digits")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
