"""The honest check: MNIST *test* digits redrawn as canvas strokes, and drawings that are no digit.

    .venv/bin/python -m bench.drawn_digits_mnist [--count 10000] [--non-digits 3000] [--seed 7]
        [--variation 1] [--still warp,rotation,widen]

MNIST's test split is never trained on. Each test digit is skeletonised, traced into pen
strokes and redrawn on the 280x280 canvas with a round pen (``training.redraw``: the same way
the training digits are redrawn, from a random stream training never uses), at a random size,
place, slant and device-pixel ratio, then put through the site's own preprocessing and the
served model (LiteRT, as the site runs it). Also measured:

- "not a digit": letters, symbols, shapes, scribbles, and two or three MNIST *test* digits side
  by side, against real digits wrongly rejected (MNIST test as it is, redrawn, and template
  drawings); symbols of ``training.nondigits.HELD_OUT`` were never trained on;
- "not sure": how many wrong answers it covers, how many right answers it flags;
- inference time for one drawing (p50 over many calls), against the same weights in a float32
  LiteRT file.

Writes sections of docs/DRAWN_DIGITS.md and the misses as docs/drawn_digits_misses.png.
"""

from __future__ import annotations

import argparse
import copy
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Collection
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from bench.docs import DOCS, percentile, write_section
from bench.drawn_digits import PENS, choose_pen
from recognizer.inference import Recognition, Recognizer, convert_keras_to_tflite
from recognizer.model_files import report_path, tflite_path
from training.data import load_mnist
from training.drawings import non_digit_drawings, synthetic_drawings, to_uint8
from training.evaluation import DIGIT_REJECT_RATE
from training.nondigits import HELD_OUT
from training.redraw import VARIED, held_still, image_strokes, redraw_strokes
from training.strokes import render_strokes

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "recognizer" / "ml" / "mnist_cnn.keras"
MISSES = DOCS / "drawn_digits_misses.png"
# Streams of their own: training redraws with other numbers (training.drawings).
REDRAW_STREAM = 0xBE7C_0001
NON_DIGIT_STREAM = 0xBE7C_0002
TEMPLATE_STREAM = 0xBE7C_0003


SIZES = ("small (45-100 px)", "medium (100-170 px)", "large (170-250 px)")


def size_name(size: float) -> str:
    return SIZES[0] if size < 100 else SIZES[1] if size < 170 else SIZES[2]


def rate(right: int, total: int) -> str:
    return f"{right / total:.2%} ({right}/{total})" if total else "–"


def redraw_test_digits(
    images: np.ndarray,
    rng: np.random.Generator,
    *,
    variation: float = 1.0,
    still: Collection[str] = (),
) -> tuple[np.ndarray, list[dict[str, str]]]:
    """Every test image redrawn with a pen chosen like people's (the page's most of the time);
    ``variation`` scales the slant, rotation, warp and widening added on top of the writer's
    own, and ``still`` leaves some of them out (``training.redraw.redraw_strokes``).

    With other variation than the check's, each digit is drawn from a copy of the stream, which
    the check's own drawing then moves on, and keeps that drawing's device-pixel ratio: digit
    for digit the same pen, size, place and ratio as the check, so that the two differ only in
    what was left out (and in the pointer events along the shapes that changed)."""
    paired = variation != 1.0 or bool(still)
    out = np.empty_like(images)
    groups = []
    for index, image in enumerate(images):
        strokes = image_strokes(image)
        twin = copy.deepcopy(rng) if paired else None
        pen_name = choose_pen(rng)
        drawing = redraw_strokes(strokes, rng, pen_width=PENS[pen_name])
        if twin is not None:
            choose_pen(twin)
            other = redraw_strokes(
                strokes, twin, pen_width=PENS[pen_name], variation=variation, still=still
            )
            drawing = replace(other, scale=drawing.scale)
        png = render_strokes(
            drawing.strokes, pen_width=drawing.pen_width, scale=drawing.scale, compress_level=1
        )
        out[index] = to_uint8(png)
        groups.append({"pen": pen_name, "size": size_name(drawing.size)})
        if (index + 1) % 2000 == 0:
            print(f"  redrew {index + 1}/{len(images)} test digits", flush=True)
    return out, groups


def miss_caption(answer: Recognition, label: int) -> str:
    if answer.not_a_digit:
        return f"{label} called no digit"
    return f"{label} read as {answer.digit} ({answer.confidence:.0%})"


def contact_sheet(originals, redrawn, captions, path: Path) -> None:
    """Each miss as the MNIST test image, what the model saw after redrawing, and a caption."""
    tile_w, tile_h, cols = 124, 78, 10
    rows = max(1, -(-len(captions) // cols))
    sheet = Image.new("L", (cols * tile_w, rows * tile_h), 40)
    draw = ImageDraw.Draw(sheet)
    for k, (a, b, caption) in enumerate(zip(originals, redrawn, captions, strict=True)):
        x0, y0 = (k % cols) * tile_w, (k // cols) * tile_h
        sheet.paste(Image.fromarray(a).resize((56, 56)), (x0 + 2, y0 + 2))
        sheet.paste(Image.fromarray(b).resize((56, 56)), (x0 + 62, y0 + 2))
        draw.text((x0 + 4, y0 + 61), caption, fill=255)
    sheet.save(path, optimize=True)


def still_parts(text: str) -> frozenset[str]:
    """``--still``: comma-separated names of ``training.redraw.VARIED``."""
    try:
        return held_still([part for part in text.split(",") if part])
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def float32_twin(model: Path, directory: Path) -> Path:
    """The served model with a float32 LiteRT file (what the site ran until 2026-12-07) in
    ``directory``: the same Keras file and report, so the same thresholds and version."""
    twin = directory / model.name
    for path in (model, report_path(model)):
        shutil.copy(path, directory / path.name)
    tflite_path(twin).write_bytes(convert_keras_to_tflite(model, quantize=False))
    return twin


def recognize_times(recognizers: dict[str, Recognizer], image: np.ndarray) -> dict[str, list]:
    """3,000 calls of ``recognize`` each, in blocks of 100 that take turns, so that what
    else the machine does falls on all of them alike."""
    times: dict[str, list] = {name: [] for name in recognizers}
    for _ in range(30):
        for name, recognizer in recognizers.items():
            for _ in range(100):
                t0 = time.perf_counter()
                recognizer.recognize(image)
                times[name].append((time.perf_counter() - t0) * 1000)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="MNIST test digits to redraw")
    parser.add_argument("--non-digits", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs/ alone")
    parser.add_argument(
        "--variation",
        type=float,
        default=1.0,
        help="scale of the redrawing's slant, rotation, warp and widening (0: none; not "
        "written to docs/, whose figures are for 1)",
    )
    parser.add_argument(
        "--still",
        type=still_parts,
        default=frozenset(),
        help=f"parts of the variation to leave out, comma-separated, of {', '.join(VARIED)} "
        "(the same drawings otherwise; not written to docs/)",
    )
    args = parser.parse_args(argv)

    recognizer = Recognizer(args.model)
    mnist = load_mnist()
    x_test, y_test = mnist.x_test[: args.count], mnist.y_test[: args.count].astype(int)
    started = time.perf_counter()
    rng = np.random.default_rng([REDRAW_STREAM, args.seed])
    redrawn, groups = redraw_test_digits(x_test, rng, variation=args.variation, still=args.still)
    answers = [recognizer.recognize(image / np.float32(255)) for image in redrawn]
    raw = [recognizer.recognize(image / np.float32(255)) for image in x_test]
    templates, template_labels = synthetic_drawings(2000, seed=args.seed + TEMPLATE_STREAM)
    template_answers = [recognizer.recognize(image / np.float32(255)) for image in templates]
    elapsed = time.perf_counter() - started

    # --- accuracy on redrawn test digits, by group
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for answer, label, group in zip(answers, y_test, groups, strict=True):
        for key in ("all", f"digit {label}", group["size"], group["pen"]):
            tally[key][0] += answer.reads_as(label)
            tally[key][1] += 1
    keys = ["all"] + [f"digit {d}" for d in range(10)]
    keys += [k for k in SIZES if tally[k][1]]
    keys += [p for p in PENS if tally[p][1]]
    raw_right = sum(a.reads_as(y) for a, y in zip(raw, y_test, strict=True))
    tpl_right = sum(a.reads_as(y) for a, y in zip(template_answers, template_labels, strict=True))
    # The network's likeliest digit, a 'not a digit' answer counted by it (how this check
    # scored until 2026-12-07): the difference is what the rejection costs.
    argmax_right = sum(a.digit == y for a, y in zip(answers, y_test, strict=True))
    wrong = [i for i, (a, y) in enumerate(zip(answers, y_test, strict=True)) if not a.reads_as(y)]
    # Misses the redrawing made (the MNIST image itself is read right) first, then the digits
    # that are misread either way.
    wrong.sort(key=lambda i: not raw[i].reads_as(y_test[i]))
    own = sum(not raw[i].reads_as(y_test[i]) for i in wrong)
    redrawn_body = "\n".join(
        [
            f"Measured {time.strftime('%Y-%m-%d')} with `python -m bench.drawn_digits_mnist "
            f"--count {args.count} --seed {args.seed}` on the served model "
            f"(`{recognizer.model_version[:12]}`), {elapsed:.0f} s for the digits.",
            "",
            "MNIST's test digits are never trained on. Each one is skeletonised, traced into pen "
            "strokes (ink that thinning loses, a loop the pen filled in, traced too) and "
            "redrawn on the 280x280 canvas with a round pen (`training.redraw`; "
            "the page's 18 px pen for 60%, 10 px and 28 px for 20% each), 45 to 250 px tall "
            "(at least four pens tall), centred or anywhere, slanted, slightly warped, at device "
            "pixel ratio 1 or 2, then sent through the site's preprocessing and served model. "
            "Training redraws MNIST's *training* digits the same way from another random stream.",
            "",
            'Right means the site answers the digit drawn: "That doesn\'t look like a digit" '
            "is a wrong answer to a person who drew one.",
            "",
            "| drawings | right |",
            "| --- | --- |",
            *(f"| {k} | {rate(*tally[k])} |" for k in keys),
            "",
            f"The network's likeliest digit alone, a 'not a digit' answer counted by it (how this "
            f"check was scored until 2026-12-07): {rate(argmax_right, len(y_test))}.",
            "",
            f"Beside it, the same model on MNIST test as it is: {rate(raw_right, len(y_test))}; "
            f"on 2,000 template drawings (a stream neither training nor `bench.drawn_digits` "
            f"uses): {rate(tpl_right, len(template_labels))}.",
            "",
            f"Of the {len(wrong)} misses, {len(wrong) - own} are digits the model reads right "
            f"as the MNIST image itself: the redrawing changed them. The other {own} it "
            "misreads either way.",
            "",
            f"The {len(wrong)} misses, each as the MNIST test image and what the model saw after "
            "redrawing, those the redrawing made first: "
            "[drawn_digits_misses.png](drawn_digits_misses.png).",
        ]
    )

    # --- "not sure" on the redrawn test digits the site answers with a digit
    given = [(a, y) for a, y in zip(answers, y_test, strict=True) if not a.not_a_digit]
    flagged = np.array([a.unsure for a, _ in given])
    is_wrong = np.array([a.digit != y for a, y in given])
    unsure_body = "\n".join(
        [
            f"On the {len(given)} redrawn test digits above that the site answers with a digit "
            f"(the other {len(y_test) - len(given)} it calls no digit), with the report's "
            f"threshold ({recognizer.unsure_threshold:.3f}, calibrated on redrawn *validation* "
            "digits):",
            "",
            f"- wrong answers covered by 'not sure': {int((flagged & is_wrong).sum())} of "
            f"{int(is_wrong.sum())} ({(flagged & is_wrong).sum() / max(is_wrong.sum(), 1):.0%});",
            f"- right answers flagged 'not sure': {int((flagged & ~is_wrong).sum())} of "
            f"{int((~is_wrong).sum())} ({(flagged & ~is_wrong).sum() / (~is_wrong).sum():.1%});",
            "- accuracy when the site is sure: "
            f"{rate(int((~flagged & ~is_wrong).sum()), int((~flagged).sum()))}.",
        ]
    )

    # --- "not a digit"
    nd_rng_seed = [NON_DIGIT_STREAM, args.seed]
    seen, seen_kinds = non_digit_drawings(
        args.non_digits, seed=nd_rng_seed, digit_images=mnist.x_test
    )
    held, held_kinds = non_digit_drawings(
        args.non_digits // 3, seed=[*nd_rng_seed, 1], digit_images=mnist.x_test, held_out=True
    )
    rejected: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for images, kinds in ((seen, seen_kinds), (held, held_kinds)):
        for image, kind in zip(images, kinds, strict=True):
            answer = recognizer.recognize(image / np.float32(255))
            if kind in HELD_OUT:
                family = f"held-out symbol {kind}"
            else:
                family = {
                    "scribble": "scribbles",
                    "several digits": "two or three MNIST test digits",
                }.get(kind, "letters, symbols, shapes trained on (new drawings)")
            keys = [family, "all non-digits"]
            if kind in HELD_OUT:
                keys.append("all held-out symbols")
            for key in keys:
                rejected[key][0] += answer.not_a_digit
                rejected[key][1] += 1
    false_rejects = {
        "MNIST test as it is": (sum(a.not_a_digit for a in raw), len(raw)),
        "MNIST test redrawn": (sum(a.not_a_digit for a in answers), len(answers)),
        "template drawings": (
            sum(a.not_a_digit for a in template_answers),
            len(template_answers),
        ),
    }
    nd_body = "\n".join(
        [
            f"Threshold {recognizer.not_a_digit_threshold:.4f} on the network's 'not a digit' "
            "probability (from the report: the smallest that rejects at most "
            f"{DIGIT_REJECT_RATE:.2%} of the redrawn validation digits). Non-digits: letters and "
            "symbols (the ones people also write as digits, O I l S Z B G b q g, are left out on "
            "purpose), shapes, scribbles, and two or three MNIST *test* digits side by side, "
            "drawn like the digits at any size and place. "
            f"'Held-out' symbols ({', '.join(HELD_OUT)}) were never trained on.",
            "",
            "| non-digits | rejected |",
            "| --- | --- |",
            *(f"| {k} | {rate(*v)} |" for k, v in sorted(rejected.items())),
            "",
            "| real digits | wrongly rejected |",
            "| --- | --- |",
            *(f"| {k} | {rate(*v)} |" for k, v in false_rejects.items()),
        ]
    )

    # --- speed of one drawing through the served model, the float32 file beside it
    with tempfile.TemporaryDirectory() as directory:
        baseline = Recognizer(float32_twin(args.model, Path(directory)))
        times = recognize_times(
            {"served (int8 weights)": recognizer, "float32": baseline},
            redrawn[0] / np.float32(255),
        )
    speed_body = "\n".join(
        [
            "`Recognizer.recognize` on one 28x28 drawing (LiteRT, one thread, both outputs), "
            "3,000 calls each on this 2-core machine, in blocks of 100 that take turns (measured "
            "by `python -m bench.drawn_digits_mnist`). The baseline is the same weights in a "
            "float32 LiteRT file, which the site served until 2026-12-07; the served file keeps "
            "its weights in 8 bits (`recognizer.inference.QUANTIZATION`).",
            "",
            "| LiteRT file | p50 | p90 | p99 |",
            "| --- | --- | --- | --- |",
            *(
                f"| {name} | "
                + " | ".join(f"{percentile(t, q):.3f} ms" for q in (50, 90, 99))
                + " |"
                for name, t in times.items()
            ),
        ]
    )

    sections = (
        ("MNIST test digits redrawn as strokes", redrawn_body),
        ("Not sure", unsure_body),
        ("Not a digit", nd_body),
        ("Inference time", speed_body),
    )
    for heading, body in sections:
        print(f"## {heading}\n\n{body}\n")
    if args.no_docs or args.variation != 1.0 or args.still:
        return 0
    for heading, body in sections:
        write_section("DRAWN_DIGITS.md", heading, body, title="Drawn digits")
    contact_sheet(
        x_test[wrong], redrawn[wrong], [miss_caption(answers[i], y_test[i]) for i in wrong], MISSES
    )
    print(f"written to {DOCS / 'DRAWN_DIGITS.md'} and {MISSES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
