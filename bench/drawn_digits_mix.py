"""Choosing the training mix by measurement: short runs on a subset, scored on held-out sets.

    .venv/bin/python -m bench.drawn_digits_mix [--limit 10000] [--epochs 5] MIX [MIX ...]

A MIX is ``drawn/redrawn/non_digits`` as shares of the MNIST training images (``0.2/0.5/0.2``
is one template drawing per five MNIST images, one redrawn per two, one non-digit per five).
Each run trains on the first ``--limit`` MNIST training images plus its mix and is scored, with
the LiteRT file as the site runs it, on: 2,000 MNIST validation digits as they are and redrawn
(a stream training never uses), 1,000 template drawings, and 1,000 non-digits of trained and
1,000 of held-out kinds. Prints one JSON line per run and writes the "Choosing the training
mix" section of docs/DRAWN_DIGITS.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from bench.docs import write_section
from training.data import load_mnist
from training.drawings import non_digit_drawings, synthetic_drawings
from training.evaluation import tflite_outputs
from training.redraw import redraw_images
from training.trainer import train


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("mixes", nargs="+", metavar="MIX")
    args = parser.parse_args(argv)

    mnist = load_mnist()
    x_val, y_val = mnist.x_val[5000:7000], mnist.y_val[5000:7000]
    digits = {
        "MNIST val": (x_val, y_val),
        "redrawn val": (redraw_images(x_val, seed=[4242, 1]), y_val),
        "templates": synthetic_drawings(1000, seed=4243),
    }
    others = mnist.x_val[7000:]
    non_digits = {
        "non-digits": non_digit_drawings(1000, seed=[4244], digit_images=others)[0],
        "held-out": non_digit_drawings(1000, seed=[4245], digit_images=others, held_out=True)[0],
    }
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for mix in args.mixes:
            drawn, redrawn, nd = (float(v) for v in mix.split("/"))
            output = Path(workdir) / f"mix_{mix.replace('/', '_')}.keras"
            started = time.monotonic()
            report = train(
                epochs=args.epochs,
                limit=args.limit,
                output=output,
                force=True,
                dataset=mnist,
                drawn=round(args.limit * drawn),
                redrawn=round(args.limit * redrawn),
                non_digits=round(args.limit * nd),
                members=1,  # the mix alone, not the ensemble's gain
            )
            row = {"mix": mix, "MNIST test": report["test_accuracy"]}
            threshold = report.get("not_a_digit_threshold")
            for name, (x, y) in digits.items():
                p, s = tflite_outputs(output.with_suffix(".tflite"), x)
                row[name] = float((p.argmax(1) == y).mean())
                if threshold:
                    row[f"{name} wrongly rejected"] = float((s >= threshold).mean())
            for name, x in non_digits.items():
                if threshold:
                    _, s = tflite_outputs(output.with_suffix(".tflite"), x)
                    row[f"{name} rejected"] = float((s >= threshold).mean())
            row["seconds"] = round(time.monotonic() - started)
            print(json.dumps(row), flush=True)
            rows.append(row)

    columns = ["MNIST test", "MNIST val", "redrawn val", "templates"]
    columns += ["non-digits rejected", "held-out rejected", "redrawn val wrongly rejected"]
    table = [
        "| mix (drawn/redrawn/non-digits) | " + " | ".join(columns) + " | seconds |",
        "| --- |" + " --- |" * (len(columns) + 1),
        *(
            f"| {r['mix']} | "
            + " | ".join(f"{r[c]:.2%}" if c in r else "–" for c in columns)
            + f" | {r['seconds']} |"
            for r in rows
        ),
    ]
    body = "\n".join(
        [
            f"Measured {time.strftime('%Y-%m-%d')} with `python -m bench.drawn_digits_mix "
            f"--limit {args.limit} --epochs {args.epochs} {' '.join(args.mixes)}`: "
            f"{args.epochs} epochs on the first {args.limit} MNIST training images plus the mix. "
            "Validation sets: 2,000 MNIST validation digits as they are and redrawn, 1,000 "
            "template drawings, 1,000 non-digits of trained kinds and 1,000 of held-out kinds.",
            "",
            *table,
        ]
    )
    write_section("DRAWN_DIGITS.md", "Choosing the training mix", body, title="Drawn digits")
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
