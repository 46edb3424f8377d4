"""Drawings that are not a digit: letters, symbols, shapes, scribbles and several digits at once.

The network learns an eleventh class from these (``NOT_A_DIGIT``) so that the site can say
"That doesn't look like a digit" instead of a confident digit for a capital A or a "12".
Letters that people also write as digits (O, I, l, S, Z, B, G, b, q, g, ...) are left out on
purpose: rejecting them would reject real digits. Every family is drawn like the digit templates
(``training.strokes``: warp, slant, rotation, tremor, pointer events) at any size and place, with
the same pens. ``HELD_OUT`` families are never trained on: the benchmark measures how far the
rejection carries to kinds of non-digit the network never saw.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from training.strokes import (
    TEMPLATES,
    Stroke,
    Template,
    _arc,
    _catmull_rom,
    place_strokes,
    template_strokes,
)

NOT_A_DIGIT = 10  # the label of the eleventh class


def _star() -> list:
    points = []
    for k in range(6):
        angle = math.radians(-90 + 144 * k)
        points.append((0.5 + 0.5 * math.cos(angle), 0.5 + 0.5 * math.sin(angle)))
    return [[[a, b] for a, b in zip(points, points[1:], strict=False)]]


def _spiral(turns: float) -> list:
    t = np.linspace(0, turns * 2 * math.pi, int(turns * 18))
    r = 0.05 + 0.45 * t / t[-1]
    return [
        [
            [
                (0.5 + float(a * math.cos(b)), 0.5 + float(a * math.sin(b)))
                for a, b in zip(r, t, strict=True)
            ]
        ]
    ]


def _sun() -> tuple:
    """A circle and eight rays."""
    rays = (
        [[(0.5 + r * math.cos(a), 0.5 + r * math.sin(a)) for r in (0.32, 0.5)]]
        for a in np.radians(np.arange(0, 360, 45))
    )
    return ([_arc(0.5, 0.5, 0.22, 0.22, 0, 360)], *rays)


def _flower() -> tuple:
    """A small centre, five petals drawn as one wavy loop around it, and a stem."""
    petals = []
    for a in np.linspace(0, 2 * math.pi, 61):
        r = 0.1 + 0.22 * abs(math.sin(2.5 * a))
        petals.append((0.5 + r * math.cos(a), 0.35 + r * math.sin(a)))
    return ([_arc(0.5, 0.35, 0.08, 0.08, 0, 360)], [petals], [[(0.5, 0.67), (0.48, 1.0)]])


# Stroke templates in the digits' format: strokes of segments, a box one unit tall.
SYMBOLS: dict[str, tuple[Template, ...]] = {
    "A": (
        ([[(0, 1), (0.3, 0)], [(0.3, 0), (0.6, 1)]], [[(0.12, 0.62), (0.5, 0.62)]]),
        (
            [[(0, 1), (0.22, 0.3), (0.3, 0)], [(0.3, 0), (0.4, 0.4), (0.62, 1)]],
            [[(0.1, 0.6), (0.52, 0.58)]],
        ),
    ),
    "E": (([[(0.5, 0), (0, 0)], [(0, 0), (0, 1)], [(0, 1), (0.5, 1)]], [[(0, 0.5), (0.4, 0.5)]]),),
    "F": (([[(0.5, 0), (0, 0)], [(0, 0), (0, 1)]], [[(0, 0.48), (0.38, 0.48)]]),),
    "H": (([[(0, 0), (0, 1)]], [[(0.55, 0), (0.55, 1)]], [[(0, 0.5), (0.55, 0.5)]]),),
    "K": (([[(0, 0), (0, 1)]], [[(0.5, 0), (0.03, 0.55)], [(0.03, 0.55), (0.55, 1)]]),),
    "M": (
        ([[(0, 1), (0, 0)], [(0, 0), (0.35, 0.6)], [(0.35, 0.6), (0.7, 0)], [(0.7, 0), (0.7, 1)]],),
    ),
    "N": (([[(0, 1), (0, 0)], [(0, 0), (0.6, 1)], [(0.6, 1), (0.6, 0)]],),),
    "P": (
        (
            [
                [(0, 1), (0, 0)],
                [(0, 0), (0.35, 0.0), (0.5, 0.14), (0.45, 0.38), (0.2, 0.5), (0, 0.5)],
            ],
        ),
    ),
    "R": (
        (
            [
                [(0, 1), (0, 0)],
                [(0, 0), (0.35, 0.0), (0.5, 0.15), (0.45, 0.4), (0.2, 0.48), (0, 0.48)],
                [(0, 0.48), (0.55, 1)],
            ],
        ),
    ),
    "T": (([[(0, 0), (0.7, 0)]], [[(0.35, 0), (0.35, 1)]]),),
    "V": (([[(0, 0), (0.3, 1)], [(0.3, 1), (0.6, 0)]],),),
    "W": (
        (
            [
                [(0, 0), (0.2, 1)],
                [(0.2, 1), (0.4, 0.3)],
                [(0.4, 0.3), (0.6, 1)],
                [(0.6, 1), (0.8, 0)],
            ],
        ),
    ),
    "X": (([[(0, 0), (0.6, 1)]], [[(0.6, 0), (0, 1)]]),),
    "Y": (([[(0, 0), (0.3, 0.5)], [(0.3, 0.5), (0.6, 0)]], [[(0.3, 0.5), (0.3, 1)]]),),
    "h": (([[(0, 0), (0, 1)]], [[(0, 0.6), (0.2, 0.45), (0.38, 0.47), (0.45, 0.62), (0.45, 1)]]),),
    "k": (([[(0, 0), (0, 1)]], [[(0.4, 0.4), (0.03, 0.7)], [(0.03, 0.7), (0.42, 1)]]),),
    "m": (
        (
            [
                [(0, 1), (0, 0.1)],
                [(0, 0.25), (0.15, 0.05), (0.3, 0.1), (0.33, 0.3), (0.33, 1)],
                [(0.33, 0.3), (0.45, 0.05), (0.62, 0.1), (0.66, 0.3), (0.66, 1)],
            ],
        ),
    ),
    "plus": (([[(0.5, 0), (0.5, 1)]], [[(0, 0.5), (1, 0.5)]]),),
    "equals": (([[(0, 0.3), (0.8, 0.3)]], [[(0, 0.7), (0.8, 0.7)]]),),
    "hash": (
        (
            [[(0.3, 0), (0.22, 1)]],
            [[(0.7, 0), (0.62, 1)]],
            [[(0, 0.33), (0.95, 0.33)]],
            [[(0, 0.67), (0.95, 0.67)]],
        ),
    ),
    "asterisk": (
        ([[(0.5, 0), (0.5, 1)]], [[(0.07, 0.25), (0.93, 0.75)]], [[(0.93, 0.25), (0.07, 0.75)]]),
    ),
    "question": (
        (
            [[(0.05, 0.22), (0.25, 0.0), (0.5, 0.08), (0.52, 0.32), (0.3, 0.5), (0.28, 0.72)]],
            [[(0.28, 0.93), (0.29, 0.97)]],
        ),
    ),
    "percent": (
        (
            [[(0.7, 0), (0, 1)]],
            [_arc(0.12, 0.14, 0.12, 0.14, 0, 360)],
            [_arc(0.6, 0.86, 0.12, 0.14, 0, 360)],
        ),
    ),
    "ampersand": (
        (
            [
                [(0.7, 1), (0.15, 0.4), (0.1, 0.15), (0.3, 0), (0.45, 0.15), (0.35, 0.35)]
                + [(0.05, 0.65), (0.1, 0.92), (0.35, 1), (0.6, 0.8), (0.7, 0.6)],
            ],
        ),
    ),
    "at": (
        (
            [
                _arc(0.5, 0.5, 0.18, 0.2, 0, 360)[:-1]
                + [(0.68, 0.5), (0.7, 0.7), (0.85, 0.72), (0.98, 0.5)]
                + _arc(0.5, 0.5, 0.48, 0.5, 0, -300, step=25)[1:],
            ],
        ),
    ),
    "triangle": (([[(0.5, 0), (0, 0.9)], [(0, 0.9), (1, 0.9)], [(1, 0.9), (0.5, 0)]],),),
    # Wide boxes, diamonds and moons: closed outlines that read as 0 until trained on (a wide
    # oval is left out on purpose: people write 0 that way too).
    "rectangle": tuple(
        ([[(0, 0), (w, 0)], [(w, 0), (w, 1)], [(w, 1), (0, 1)], [(0, 1), (0, 0)]],)
        for w in (1.6, 2.2)
    ),
    "diamond": (
        (
            [
                [(0.45, 0), (0.9, 0.5)],
                [(0.9, 0.5), (0.45, 1)],
                [(0.45, 1), (0, 0.5)],
                [(0, 0.5), (0.45, 0)],
            ],
        ),
    ),
    "moon": (
        (
            [
                _arc(0.5, 0.5, 0.5, 0.5, -60, -300)
                + _arc(0.78, 0.5, 0.38, 0.45, 118, 242)[1:]
                + [(0.75, 0.067)]
            ],
        ),
    ),
    "star": (_star(),),
    "heart": (
        (
            [
                [(0.5, 1), (0.1, 0.6), (0.0, 0.25), (0.2, 0.02), (0.42, 0.1), (0.5, 0.3)],
                [(0.5, 0.3), (0.58, 0.1), (0.8, 0.02), (1.0, 0.25), (0.9, 0.6), (0.5, 1)],
            ],
        ),
    ),
    "arrow": (([[(0, 0.5), (1, 0.5)]], [[(0.72, 0.25), (1, 0.5)], [(1, 0.5), (0.72, 0.75)]]),),
    "spiral": (_spiral(2.3), _spiral(3.0)),
    "smiley": (
        (
            [_arc(0.5, 0.5, 0.5, 0.5, 0, 360)],
            [[(0.33, 0.33), (0.33, 0.38)]],
            [[(0.67, 0.33), (0.67, 0.38)]],
            [_arc(0.5, 0.55, 0.25, 0.2, 20, 160)],
        ),
    ),
    "check": (([[(0, 0.6), (0.3, 1)], [(0.3, 1), (0.9, 0)]],),),
    "house": (
        (
            [[(0, 0.4), (0, 1)], [(0, 1), (0.8, 1)], [(0.8, 1), (0.8, 0.4)]],
            [[(-0.08, 0.45), (0.4, 0)], [(0.4, 0), (0.88, 0.45)]],
        ),
    ),
    # A closed outline of bumps with a flat bottom: held out until 2026-12-06, when the
    # served model still read it as a confident 0 more than half the time.
    "cloud": (
        (
            [
                [(0.05, 0.75), (0.95, 0.75)],
                _arc(0.85, 0.55, 0.15, 0.2, 90, -90)[:-1] + _arc(0.62, 0.3, 0.2, 0.22, 30, -160),
                _arc(0.34, 0.32, 0.17, 0.18, -20, -180)[1:]
                + _arc(0.15, 0.55, 0.15, 0.2, -90, -270),
            ],
        ),
    ),
    # Doodles held out (HELD_OUT below): they measure how far rejection carries to shapes the
    # network never saw (closed outlines, a zigzag bolt).
    "sun": (_sun(),),
    "fish": (
        (
            [
                [(1.0, 0.22), (0.8, 0.5), (0.55, 0.82), (0.25, 0.8), (0.0, 0.5)],
                [(0.0, 0.5), (0.25, 0.2), (0.55, 0.18), (0.8, 0.5), (1.0, 0.78)],
            ],
            [[(0.22, 0.42), (0.23, 0.44)]],
        ),
    ),
    "envelope": (
        (
            [[(0, 0), (1, 0)], [(1, 0), (1, 0.65)], [(1, 0.65), (0, 0.65)], [(0, 0.65), (0, 0)]],
            [[(0, 0), (0.5, 0.38)], [(0.5, 0.38), (1, 0)]],
        ),
    ),
    "stick figure": (
        (
            [_arc(0.3, 0.13, 0.13, 0.13, 0, 360)],
            [[(0.3, 0.26), (0.3, 0.65)]],
            [[(0.0, 0.4), (0.6, 0.4)]],
            [[(0.05, 1), (0.3, 0.65)], [(0.3, 0.65), (0.55, 1)]],
        ),
    ),
    "flower": (_flower(),),
    "lightning": (([[(0.6, 0), (0.15, 0.55), (0.55, 0.5), (0.2, 1)]],),),
    "pine tree": (
        (
            [
                [(0.5, 0), (0.15, 0.42), (0.35, 0.42), (0.05, 0.8), (0.95, 0.8)],
                [(0.95, 0.8), (0.65, 0.42), (0.85, 0.42), (0.5, 0)],
            ],
            [[(0.44, 0.8), (0.44, 1)]],
            [[(0.56, 0.8), (0.56, 1)]],
        ),
    ),
    "umbrella": (
        (
            [_arc(0.5, 0.45, 0.5, 0.45, 180, 360) + [(0.0, 0.45)]],
            [[(0.5, 0.0), (0.5, 0.9)] + _arc(0.42, 0.9, 0.08, 0.1, 0, 180)],
        ),
    ),
    "zigzag": (
        (
            [
                [(0, 0.2), (0.2, 1)],
                [(0.2, 1), (0.4, 0)],
                [(0.4, 0), (0.6, 1)],
                [(0.6, 1), (0.8, 0)],
                [(0.8, 0), (1, 0.8)],
            ],
        ),
    ),
    "wave": (([[(x / 10, 0.5 + 0.5 * math.sin(x * 1.6)) for x in range(0, 21)]],),),
    "dash": (([[(0, 0), (1, 0.02)]],),),
    "cross_hatch": (
        ([[(0, 0), (1, 1)]], [[(0.3, 0), (1, 0.7)]], [[(0, 0.3), (0.7, 1)]], [[(1, 0), (0, 1)]]),
    ),
}

# Never trained on: the benchmark's check of how far rejection carries.
HELD_OUT = (
    "V",
    "W",
    "m",
    "at",
    "sun",
    "fish",
    "envelope",
    "stick figure",
    "flower",
    "lightning",
    "pine tree",
    "umbrella",
)

FAMILIES = ("symbol", "scribble", "several digits")


def _scribble(rng: np.random.Generator) -> list[np.ndarray]:
    """A smooth curve through random points, or a dense back-and-forth fill."""
    if rng.random() < 0.3:
        rows = rng.integers(6, 11)
        ys = np.linspace(0, 1, rows)
        xy = np.array([(float(i % 2), y) for i, y in enumerate(ys)])
        xy += rng.normal(0, 0.05, xy.shape)
        return [_catmull_rom(xy, 6)]
    count = rng.integers(7, 15)
    xy = rng.uniform(0, 1, size=(count, 2))
    strokes = [_catmull_rom(xy, 10)]
    if rng.random() < 0.3:
        strokes.append(_catmull_rom(rng.uniform(0, 1, size=(rng.integers(3, 7), 2)), 10))
    return strokes


def _several_digits(
    rng: np.random.Generator, digit_strokes: Callable[[], list[np.ndarray]]
) -> list[np.ndarray]:
    """Two or three digits side by side, each a list of polylines scaled to a unit height."""
    count = 2 if rng.random() < 0.75 else 3
    out: list[np.ndarray] = []
    x = 0.0
    for _ in range(count):
        strokes = digit_strokes()
        everything = np.vstack(strokes)
        low, high = everything.min(axis=0), everything.max(axis=0)
        height = max(float(high[1] - low[1]), 1e-6)
        scale = rng.uniform(0.85, 1.15) / height
        dy = rng.normal(0, 0.06)
        for xy in strokes:
            out.append((xy - low) * scale + (x, dy))
        x += (high[0] - low[0]) * scale + rng.uniform(0.12, 0.45)
    return out


def template_digit_strokes(rng: np.random.Generator) -> list[np.ndarray]:
    digit = int(rng.integers(10))
    templates = TEMPLATES[digit]
    return template_strokes(templates[rng.integers(len(templates))], rng)


def non_digit_strokes(
    rng: np.random.Generator,
    *,
    family: str | None = None,
    held_out: bool = False,
    digit_strokes: Callable[[], list[np.ndarray]] | None = None,
) -> tuple[str, list[np.ndarray]]:
    """One non-digit as unit-box polylines and its kind (a symbol's name, "scribble" or
    "several digits"). ``held_out`` draws symbols from ``HELD_OUT`` only, else from the others.
    ``digit_strokes`` makes one digit's polylines for "several digits" (templates if None)."""
    if family is None:
        family = str(rng.choice(FAMILIES, p=[0.55, 0.2, 0.25]))
    if family == "scribble":
        return "scribble", _scribble(rng)
    if family == "several digits":
        return "several digits", _several_digits(
            rng, digit_strokes or (lambda: template_digit_strokes(rng))
        )
    names = [n for n in SYMBOLS if (n in HELD_OUT) == held_out]
    name = str(rng.choice(names))
    templates = SYMBOLS[name]
    return name, template_strokes(templates[rng.integers(len(templates))], rng)


def place_non_digit(
    strokes: list[np.ndarray],
    rng: np.random.Generator,
    *,
    pen_width: float,
    size: float | None = None,
    center: tuple[float, float] | None = None,
) -> list[Stroke]:
    """Slant, rotate and place unit-box polylines on the canvas, like the digits."""
    return place_strokes(
        strokes,
        rng,
        slant=rng.uniform(-0.12, 0.3),
        rotation=math.radians(float(np.clip(rng.normal(0.0, 8.0), -20.0, 20.0))),
        widen=math.exp(rng.normal(0.0, 0.15)),
        size=rng.uniform(max(45.0, 4 * pen_width), 240) if size is None else size,
        center=center,
        pen_width=pen_width,
    )
