"""Drawn digits through the real page: Chromium's mouse on the canvas, gunicorn, Cassandra.

    .venv/bin/python -m bench.drawn_digits_browser [--set templates|mnist|non-digits]
                                                   [--count 200] [--seed 23] [--port 8766]

Everything a person's drawing goes through, end to end: mouse events on ``#canvas`` (the
page's own pen, device-pixel ratio 2), ``toDataURL``, the JSON API under gunicorn, the
preprocessing and the served model, the row in Cassandra. The drawings (``--set``):

- ``templates``: ``training.strokes`` at the sizes and places of ``bench.drawn_digits`` (a
  stream the training drawings never use); the "Through the page" section;
- ``mnist``: MNIST *test* digits redrawn as strokes (``training.redraw``, as in
  ``bench.drawn_digits_mnist``, from a stream of its own); "MNIST test digits through the page";
- ``non-digits``: letters, symbols, shapes, scribbles, two MNIST test digits side by side
  (``training.nondigits``); "Non-digits through the page", counting "That doesn't look like a
  digit" answers.

Writes that section of docs/DRAWN_DIGITS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict

import numpy as np
from playwright.sync_api import sync_playwright

from bench.docs import write_section
from bench.drawn_digits import PAGE_PEN
from bench.site import USERNAME, running_site
from recognizer.preprocessing import UPLOAD_INK_SIDE
from recognizer.tests.browser import CHROMIUM, CHROMIUM_ARGS, draw_with_mouse, thin
from training import nondigits
from training.data import load_mnist
from training.redraw import image_strokes, redraw_strokes
from training.strokes import drawn_digit

MOUSE_SPACING = 8.0  # CSS px between mouse events: a quick hand on a 60 Hz mouse
SIZES = {
    "small (50-90 px)": (50, 90),
    "medium (90-160 px)": (90, 160),
    "large (160-250 px)": (160, 250),
}
SECTIONS = {
    "templates": "Through the page",
    "mnist": "MNIST test digits through the page",
    "non-digits": "Non-digits through the page",
}
MNIST_STREAM = 0xBE7C_0011
NON_DIGIT_STREAM = 0xBE7C_0012


def size_group(size: float) -> str:
    return next(name for name, (_, high) in SIZES.items() if size < high or high == 250)


def drawings(which: str, count: int, seed: int):
    """(strokes, truth, groups) for each drawing; truth is None for a non-digit."""
    if which == "templates":
        rng = np.random.default_rng(seed)
        for index in range(count):
            digit = index % 10
            size_name = list(SIZES)[rng.integers(len(SIZES))]
            off_centre = rng.random() < 0.5
            centre = (rng.uniform(40, 240), rng.uniform(40, 240)) if off_centre else None
            strokes = drawn_digit(digit, rng, size=rng.uniform(*SIZES[size_name]), center=centre)
            yield strokes, digit, (size_name, "off-centre" if off_centre else "centred")
    elif which == "mnist":
        rng = np.random.default_rng([MNIST_STREAM, seed])
        mnist = load_mnist()
        # A spread of the test set, not only its first images.
        for index in rng.choice(len(mnist.y_test), size=count, replace=False):
            drawing = redraw_strokes(image_strokes(mnist.x_test[index]), rng, pen_width=PAGE_PEN)
            yield drawing.strokes, int(mnist.y_test[index]), (size_group(drawing.size),)
    else:
        rng = np.random.default_rng([NON_DIGIT_STREAM, seed])
        x_test = load_mnist().x_test
        for index in range(count):
            held_out = index % 4 == 3

            def digit_strokes():
                return image_strokes(x_test[rng.integers(len(x_test))])

            kind, unit = nondigits.non_digit_strokes(
                rng, held_out=held_out, digit_strokes=digit_strokes
            )
            strokes = nondigits.place_non_digit(unit, rng, pen_width=PAGE_PEN)
            family = "held-out symbol" if kind in nondigits.HELD_OUT else kind
            if family not in ("scribble", "several digits", "held-out symbol"):
                family = "symbol trained on"
            yield strokes, None, (family,) if family == kind else (family, kind)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=SECTIONS, default="templates")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args(argv)

    tallies: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    wrong: list[str] = []
    unsure = 0
    started = time.perf_counter()
    with running_site(port=args.port) as site, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(
            viewport={"width": 1000, "height": 760}, device_scale_factor=2
        ).new_page()
        page.goto(f"{site.url}/accounts/login/")
        page.fill("input[name=username]", USERNAME)
        page.fill("input[name=password]", site.password)
        page.click("button[type=submit], input[type=submit]")
        page.wait_for_selector("#canvas")
        page.uncheck("#instant")
        for index, (strokes, truth, groups) in enumerate(drawings(args.set, args.count, args.seed)):
            page.click("#clear")
            draw_with_mouse(page, [thin(stroke, MOUSE_SPACING) for stroke in strokes])
            page.click("#predict")
            page.locator("#result[data-digit], #message.error").first.wait_for(
                state="attached", timeout=30_000
            )
            answer = page.locator("#result").get_attribute("data-digit")
            if answer is None:
                raise SystemExit(f"the page showed an error: {page.text_content('#message')}")
            text = page.text_content("#result") or ""
            rejected = "That doesn't look like a digit" in text
            if truth is None:
                right = rejected  # for a non-digit, "right" is being rejected
            else:
                right = int(answer) == truth and not rejected
                unsure += "Not sure" in text
            for group in ("all", *([f"digit {truth}"] if truth is not None else []), *groups):
                tallies[group][0] += right
                tallies[group][1] += 1
            if not right:
                what = (
                    f"{truth} read as {answer}"
                    if truth is not None
                    else f"{groups[-1]} read as {answer}"
                )
                wrong.append(f"{what}{' (not a digit)' if rejected else ''} ({', '.join(groups)})")
            if (index + 1) % 20 == 0:
                done = tallies["all"]
                print(
                    f"  {index + 1}/{args.count} drawn, {done[0] / done[1]:.1%} right", flush=True
                )
        browser.close()
    elapsed = time.perf_counter() - started

    order = ["all"] + [f"digit {d}" for d in range(10)] + list(SIZES) + ["centred", "off-centre"]
    order += sorted(g for g in tallies if g not in order)
    rows = [
        f"| {g} | {tallies[g][0] / tallies[g][1]:.1%} ({tallies[g][0]}/{tallies[g][1]}) |"
        for g in order
        if tallies[g][1]
    ]
    what = {
        "templates": "digit drawn from the stroke templates",
        "mnist": "MNIST test digit redrawn as strokes (the page's own pen)",
        "non-digits": "non-digit (a quarter of them held-out symbols)",
    }[args.set]
    verdict = "rejected ('That doesn't look like a digit')" if args.set == "non-digits" else "right"
    body = "\n".join(
        [
            f"Measured {time.strftime('%Y-%m-%d')} with `python -m bench.drawn_digits_browser "
            f"--set {args.set} --count {args.count} --seed {args.seed}` ({elapsed:.0f} s): "
            f"headless Chromium (Debian's) draws each {what} with the mouse on the page at "
            "device-pixel ratio 2, presses Predict (the page uploads the drawing scaled down "
            f"until its ink is {UPLOAD_INK_SIDE} px across, docs/PERFORMANCE.md, "
            '"Profile", 1b) and reads `#result[data-digit]` and its text; the site runs under '
            "gunicorn with the local Cassandra.",
            "",
            f"| drawings | {verdict} |",
            "| --- | --- |",
            *rows,
            "",
            (
                f"'Not sure' was shown for {unsure} of {args.count}. "
                if args.set != "non-digits"
                else ""
            )
            + (f"Wrong: {'; '.join(wrong)}." if wrong else "None was wrong."),
        ]
    )
    section = SECTIONS[args.set]
    path = write_section("DRAWN_DIGITS.md", section, body, title="Drawn digits")
    print(body)
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
