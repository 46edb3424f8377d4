"""What each member of the served ensemble scores alone, and what averaging them adds.

    .venv/bin/python -m bench.ensemble [--count 10000] [--seed 7] [--also OTHER.keras ...]

The served model (``train_mnist``'s default) averages the class scores of networks trained from
different seeds (``training.network.ensemble_model``). This takes them apart and scores every
member alone, then the first two, then all, on MNIST test as it is and on the same MNIST test
digits redrawn as canvas strokes that ``bench.drawn_digits_mnist`` uses (same stream and seed),
each through its own LiteRT file as the site would run it, with the time of one drawing.
With ``--also``, the networks of other trained files are scored alone too, and a last row says
how many digits at least one of all these networks reads right: a bound that no way of
combining them can pass. Writes the "The ensemble" section of docs/DRAWN_DIGITS.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.docs import percentile, write_section
from bench.drawn_digits_mnist import MODEL, REDRAW_STREAM, rate, redraw_test_digits
from recognizer.inference import convert_model_to_tflite
from training.data import load_mnist
from training.evaluation import tflite_outputs
from training.network import digit_model, ensemble_model


def one_drawing_ms(tflite: Path, image: np.ndarray, calls: int = 2000) -> float:
    """p50 of one drawing through the interpreter, both outputs read, as the site does."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(tflite), num_threads=1)
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]["index"]
    outputs = [d["index"] for d in interpreter.get_output_details()]
    batch = (image / np.float32(255)).reshape(1, 28, 28, 1).astype(np.float32)
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        interpreter.set_tensor(inp, batch)
        interpreter.invoke()
        for index in outputs:
            interpreter.get_tensor(index)
        times.append((time.perf_counter() - t0) * 1000)
    return percentile(times, 50)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="MNIST test digits to redraw")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument(
        "--also",
        type=Path,
        action="append",
        default=[],
        help="another trained file whose networks are scored alone and join the 'any right' row",
    )
    args = parser.parse_args(argv)

    import keras

    served = keras.saving.load_model(args.model)
    singles = networks_of(served)
    if len(singles) < 2:
        print(f"{args.model} is a single network; nothing to take apart.")
        return 1
    others = [
        (f"{path.parent.name}/{path.name} {network.name}", network)
        for path in args.also
        for network in networks_of(keras.saving.load_model(path))
    ]

    mnist = load_mnist()
    x_test, y_test = mnist.x_test[: args.count], mnist.y_test[: args.count].astype(int)
    print(f"Redrawing {len(x_test)} MNIST test digits…", flush=True)
    redrawn, _ = redraw_test_digits(x_test, np.random.default_rng([REDRAW_STREAM, args.seed]))

    combos = [(f"member {i + 1} alone", [s]) for i, s in enumerate(singles)]
    combos += [(f"members 1-{k}", singles[:k]) for k in range(2, len(singles) + 1)]
    combos += [(name, [network]) for name, network in others]
    rows = []
    right: list[tuple[np.ndarray, np.ndarray]] = []  # each network alone: (test, redrawn)
    with tempfile.TemporaryDirectory() as workdir:
        for name, chosen in combos:
            network = digit_model(ensemble_model(chosen) if len(chosen) > 1 else chosen[0])
            tflite = Path(workdir) / "model.tflite"
            tflite.write_bytes(convert_model_to_tflite(network))
            test, _ = tflite_outputs(tflite, x_test)
            drawn, _ = tflite_outputs(tflite, redrawn)
            if len(chosen) == 1:
                right.append((test.argmax(1) == y_test, drawn.argmax(1) == y_test))
            rows.append(
                (
                    name,
                    rate(int((test.argmax(1) == y_test).sum()), len(y_test)),
                    rate(int((drawn.argmax(1) == y_test).sum()), len(y_test)),
                    f"{one_drawing_ms(tflite, redrawn[0]):.3f}",
                )
            )
            print(" | ".join(rows[-1]), flush=True)
    if others:
        test_any = np.any([t for t, _ in right], axis=0)
        drawn_any = np.any([d for _, d in right], axis=0)
        rows.append(
            (
                f"any of these {len(right)} networks right (no averaging can beat it)",
                rate(int(test_any.sum()), len(y_test)),
                rate(int(drawn_any.sum()), len(y_test)),
                "–",
            )
        )
        print(" | ".join(rows[-1]), flush=True)

    also = "".join(f" --also {path}" for path in args.also)
    body = "\n".join(
        [
            f"Measured {time.strftime('%Y-%m-%d')} with `python -m bench.ensemble --count "
            f"{args.count} --seed {args.seed}{also}` on the served model, taken apart: each "
            "member alone, then the first members averaged, each converted to its own LiteRT "
            "file. The redrawn digits are those of `bench.drawn_digits_mnist` with the same "
            "seed. Inference is the p50 of one drawing, one thread, on this 2-core machine.",
            *(
                [
                    "",
                    "The networks of the other files (`--also`) are scored alone, and the last "
                    "row counts a digit as right when any one network reads it right: an "
                    "oracle that picks the right network after the fact, which no ensemble of "
                    "them can beat.",
                ]
                if others
                else []
            ),
            "",
            "| network | MNIST test | MNIST test redrawn | inference p50 (ms) |",
            "| --- | --- | --- | --- |",
            *(f"| {' | '.join(row)} |" for row in rows),
        ]
    )
    write_section("DRAWN_DIGITS.md", "The ensemble", body, title="Drawn digits")
    print(f"## The ensemble\n\n{body}\n")
    return 0


def networks_of(trained) -> list:
    """The networks in a trained file, each a model whose ``logits`` layer is its own scores:
    an ensemble's members, or the file's one network."""
    import keras

    members = [layer for layer in trained.layers if isinstance(layer, keras.Model)]
    if not members:
        return [trained]
    singles = []
    for member in members:
        inputs = keras.Input(shape=(28, 28, 1), name="image")
        scores = keras.layers.Identity(name="logits")(member(inputs))
        singles.append(keras.Model(inputs, scores, name=member.name))
    return singles


if __name__ == "__main__":
    sys.exit(main())
