"""Drawn digits through the real page: Chromium's mouse on the canvas, gunicorn, Cassandra.

    .venv/bin/python -m bench.drawn_digits_browser [--count 200] [--seed 23]

Everything a person's drawing goes through, end to end: mouse events on ``#canvas`` (the
page's own pen, device-pixel ratio 2), ``toDataURL``, the JSON API under gunicorn, the
preprocessing and the served model, the row in Cassandra. Drawings come from
``training.strokes`` at the sizes and places of ``bench.drawn_digits`` (a stream the training
drawings never use). Writes the "Through the page" section of docs/DRAWN_DIGITS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict

import numpy as np
from playwright.sync_api import sync_playwright

from bench.docs import write_section
from bench.site import USERNAME, running_site
from recognizer.tests.browser import CHROMIUM, CHROMIUM_ARGS, draw_with_mouse, thin
from training.strokes import drawn_digit

MOUSE_SPACING = 8.0  # CSS px between mouse events: a quick hand on a 60 Hz mouse
SIZES = {
    "small (50-90 px)": (50, 90),
    "medium (90-160 px)": (90, 160),
    "large (160-250 px)": (160, 250),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
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
        for index in range(args.count):
            digit = index % 10
            size_name = list(SIZES)[rng.integers(len(SIZES))]
            off_centre = rng.random() < 0.5
            centre = (rng.uniform(40, 240), rng.uniform(40, 240)) if off_centre else None
            strokes = drawn_digit(digit, rng, size=rng.uniform(*SIZES[size_name]), center=centre)
            page.click("#clear")
            draw_with_mouse(page, [thin(stroke, MOUSE_SPACING) for stroke in strokes])
            page.click("#predict")
            page.locator("#result[data-digit], #message.error").first.wait_for(
                state="attached", timeout=30_000
            )
            answer = page.locator("#result").get_attribute("data-digit")
            if answer is None:
                raise SystemExit(f"the page showed an error: {page.text_content('#message')}")
            right = int(answer) == digit
            unsure += "Not sure" in (page.text_content("#result") or "")
            place = "off-centre" if off_centre else "centred"
            for group in ("all", f"digit {digit}", size_name, place):
                tallies[group][0] += right
                tallies[group][1] += 1
            if not right:
                wrong.append(f"{digit} read as {answer} ({size_name}, {place})")
            if (index + 1) % 20 == 0:
                done = tallies["all"]
                print(
                    f"  {index + 1}/{args.count} drawn, {done[0] / done[1]:.1%} right", flush=True
                )
        browser.close()
    elapsed = time.perf_counter() - started

    groups = ["all"] + [f"digit {d}" for d in range(10)] + list(SIZES) + ["centred", "off-centre"]
    rows = [
        f"| {g} | {tallies[g][0] / tallies[g][1]:.1%} ({tallies[g][0]}/{tallies[g][1]}) |"
        for g in groups
        if tallies[g][1]
    ]
    body = "\n".join(
        [
            f"Measured {time.strftime('%Y-%m-%d')} with `python -m bench.drawn_digits_browser "
            f"--count {args.count} --seed {args.seed}` ({elapsed:.0f} s): headless Chromium "
            "(Debian's) draws each digit with the mouse on the page at device-pixel ratio 2, "
            "presses Predict and reads `#result[data-digit]`; the site runs under gunicorn "
            "with the local Cassandra.",
            "",
            "| drawings | right |",
            "| --- | --- |",
            *rows,
            "",
            f"'Not sure' was shown for {unsure} of {args.count}. "
            + (f"Wrong: {'; '.join(wrong)}." if wrong else "None was wrong."),
        ]
    )
    path = write_section("DRAWN_DIGITS.md", "Through the page", body, title="Drawn digits")
    print(body)
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
