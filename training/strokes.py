"""Hand-drawn-looking digits as mouse strokes, and a renderer that draws them like the canvas.

Test and benchmark support, pure numpy + Pillow. MNIST images are not what people draw on the
site: these are. Every digit has several hand-authored templates covering the common ways of
writing it (a 7 with and without a bar, a 1 with and without a flag, an open and a closed 4, ...).
``drawn_digit`` varies a template the way a hand does - a smooth elastic warp of the shape, slant,
rotation, width, tremor, overshoot at the ends, drawing speed - and places it on the canvas as
pointer-event points::

    rng = np.random.default_rng(7)
    strokes = drawn_digit(4, rng, size=150, center=(140, 140))
    png = render_strokes(strokes, pen_width=18.0, scale=2.0)   # a 560x560 HiDPI canvas

Coordinates are canvas pixels, x to the right and y down, as in the browser.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image, ImageDraw

from recognizer.preprocessing import UPLOAD_INK_SIDE

__all__ = [
    "CANVAS_SIDE",
    "TEMPLATES",
    "Point",
    "Stroke",
    "drawn_digit",
    "drawn_digit_png",
    "drawn_template",
    "page_curve",
    "place_strokes",
    "render_strokes",
    "resample",
    "sparse_strokes",
    "template_strokes",
    "upload_png",
    "upload_side",
    "variant_count",
]

CANVAS_SIDE = 280

Point = tuple[float, float]
Stroke = list[Point]
# A template stroke is a run of segments; points within a segment are joined smoothly (Catmull-Rom)
# and consecutive segments meet at a corner (the pen turns sharply there without lifting).
Segment = Sequence[Point]
TemplateStroke = Sequence[Segment]
Template = Sequence[TemplateStroke]


def _arc(
    cx: float, cy: float, rx: float, ry: float, start: float, end: float, step: float = 20.0
) -> list[Point]:
    """Points on an ellipse from angle ``start`` to ``end`` in degrees (0 = right, 90 = down)."""
    count = max(2, math.ceil(abs(end - start) / step) + 1)
    angles = np.radians(np.linspace(start, end, count))
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in angles]


# Template coordinates: a box one unit tall, x to the right, y down; widths are each digit's own.
# Going counter-clockwise on the screen is going to smaller angles in ``_arc``.
TEMPLATES: dict[int, tuple[Template, ...]] = {
    0: (
        ([_arc(0.3, 0.5, 0.3, 0.5, -80, -450)],),  # counter-clockwise from the top, closing over
        ([_arc(0.3, 0.5, 0.3, 0.5, -100, 250)],),  # clockwise, a small gap left at the top
        ([_arc(0.26, 0.5, 0.26, 0.5, -60, -400)],),  # narrow, starting at the upper right
        ([_arc(0.3, 0.5, 0.3, 0.5, -70, -355)],),  # stopped short at the right
        (
            [_arc(0.29, 0.5, 0.28, 0.5, -95, 270)],
            [[(0.6, 0.0), (-0.02, 1.0)]],
        ),  # slashed
    ),
    1: (
        ([[(0.0, 0.0), (0.0, 1.0)]],),  # a plain stem
        ([[(-0.2, 0.2), (0.02, 0.0)], [(0.02, 0.0), (0.0, 1.0)]],),  # with a flag
        (
            [[(-0.2, 0.2), (0.02, 0.0)], [(0.02, 0.0), (0.0, 1.0)]],
            [[(-0.2, 1.0), (0.2, 1.0)]],
        ),  # flag and base
        ([[(-0.26, 0.26), (-0.12, 0.13), (0.03, 0.0)], [(0.03, 0.0), (0.0, 1.0)]],),  # curved flag
        ([[(-0.34, 0.4), (0.02, 0.0)], [(0.02, 0.0), (0.0, 1.0)]],),  # a long flag
    ),
    2: (
        (
            [
                [(0.04, 0.26), (0.18, 0.06), (0.38, 0.0), (0.57, 0.1), (0.6, 0.3), (0.45, 0.55)]
                + [(0.02, 1.0)],
                [(0.02, 1.0), (0.66, 0.98)],
            ],
        ),
        (
            [
                [(0.04, 0.26), (0.18, 0.06), (0.38, 0.0), (0.57, 0.1), (0.6, 0.3), (0.45, 0.56)]
                + [(0.2, 0.84), (0.1, 0.97), (0.2, 1.0), (0.3, 0.9), (0.2, 0.86), (0.14, 0.94)]
                + [(0.3, 0.99), (0.48, 0.97), (0.68, 1.0)],
            ],
        ),  # with a loop at the bottom
        (
            [
                [(0.03, 0.2), (0.28, 0.0), (0.54, 0.08), (0.55, 0.3), (0.04, 1.0)],
                [(0.04, 1.0), (0.66, 1.0)],
            ],
        ),  # angular, like a Z with a round top
    ),
    3: (
        (
            [
                [(0.04, 0.14), (0.3, 0.0), (0.55, 0.08), (0.56, 0.3), (0.24, 0.47)],
                [(0.24, 0.47), (0.55, 0.58), (0.6, 0.8), (0.4, 0.98), (0.15, 0.99), (0.0, 0.86)],
            ],
        ),  # two bumps meeting at a point
        (
            [
                [(0.0, 0.0), (0.6, 0.0)],
                [(0.6, 0.0), (0.25, 0.4)],
                [(0.25, 0.4), (0.5, 0.45), (0.62, 0.68), (0.5, 0.93), (0.25, 1.0), (0.0, 0.88)],
            ],
        ),  # flat top
        (
            [
                [(0.05, 0.12), (0.3, 0.0), (0.55, 0.1), (0.5, 0.35), (0.3, 0.45), (0.2, 0.48)]
                + [(0.32, 0.51), (0.56, 0.63), (0.58, 0.85), (0.35, 1.0), (0.0, 0.9)],
            ],
        ),  # a smooth turn in the middle
    ),
    4: (
        (
            [[(0.42, 0.0), (0.0, 0.64)], [(0.0, 0.64), (0.72, 0.62)]],
            [[(0.52, 0.3), (0.52, 1.0)]],
        ),  # open: the stem crosses the bar
        (
            [[(0.52, 0.0), (0.0, 0.68)], [(0.0, 0.68), (0.72, 0.68)]],
            [[(0.52, 0.0), (0.52, 1.0)]],
        ),  # closed, printed
        (
            [[(0.05, 0.0), (0.02, 0.55)], [(0.02, 0.55), (0.7, 0.55)]],
            [[(0.55, 0.04), (0.55, 1.0)]],
        ),  # open, with an upright left side
    ),
    5: (
        (
            [
                [(0.1, 0.0), (0.07, 0.45)],
                [(0.07, 0.45), (0.3, 0.38), (0.55, 0.5), (0.6, 0.75), (0.45, 0.95), (0.2, 1.0)]
                + [(0.0, 0.9)],
            ],
            [[(0.1, 0.0), (0.62, 0.0)]],
        ),  # hat drawn last
        (
            [
                [(0.62, 0.0), (0.1, 0.0)],
                [(0.1, 0.0), (0.07, 0.45)],
                [(0.07, 0.45), (0.3, 0.38), (0.55, 0.5), (0.6, 0.75), (0.45, 0.95), (0.2, 1.0)]
                + [(0.0, 0.9)],
            ],
        ),  # one stroke
        (
            [
                [(0.1, 0.02), (0.06, 0.42)],
                [(0.06, 0.42), (0.35, 0.36), (0.6, 0.55), (0.55, 0.85), (0.3, 1.0), (0.02, 0.92)],
            ],
            [[(0.12, 0.0), (0.4, -0.02), (0.64, 0.01)]],
        ),  # round belly, curved hat
    ),
    6: (
        (
            [
                [(0.52, 0.0), (0.26, 0.2), (0.06, 0.55), (0.1, 0.88), (0.3, 1.0), (0.52, 0.9)]
                + [(0.56, 0.68), (0.36, 0.55), (0.13, 0.61), (0.07, 0.72)],
            ],
        ),
        (
            [
                [(0.46, 0.0), (0.16, 0.4), (0.05, 0.75), (0.25, 1.0), (0.5, 0.88), (0.5, 0.64)]
                + [(0.26, 0.57), (0.07, 0.7)],
            ],
        ),  # a straighter back
        (
            [
                [(0.48, 0.0), (0.22, 0.38), (0.1, 0.78), (0.2, 1.0), (0.33, 0.97), (0.35, 0.85)]
                + [(0.24, 0.79), (0.12, 0.85)],
            ],
        ),  # a tiny loop at the foot of a long back
    ),
    7: (
        ([[(0.0, 0.0), (0.62, 0.0)], [(0.62, 0.0), (0.2, 1.0)]],),
        (
            [[(0.0, 0.0), (0.62, 0.0)], [(0.62, 0.0), (0.2, 1.0)]],
            [[(0.2, 0.52), (0.62, 0.5)]],
        ),  # with a bar
        ([[(0.0, 0.03), (0.62, 0.0)], [(0.62, 0.0), (0.42, 0.35), (0.3, 0.7), (0.25, 1.0)]],),
        (
            [[(0.0, 0.15), (0.0, 0.0)], [(0.0, 0.0), (0.62, 0.0)], [(0.62, 0.0), (0.22, 1.0)]],
        ),  # with a tick at the left
    ),
    8: (
        (
            [
                [(0.55, 0.1), (0.3, 0.0), (0.07, 0.12), (0.12, 0.35), (0.3, 0.5), (0.5, 0.65)]
                + [(0.55, 0.85), (0.3, 1.0), (0.05, 0.85), (0.1, 0.65), (0.3, 0.5), (0.5, 0.32)]
                + [(0.52, 0.12), (0.35, 0.02)],
            ],
        ),  # one stroke: an S and back up
        (
            [_arc(0.3, 0.25, 0.21, 0.25, 90, -270)],
            [_arc(0.3, 0.74, 0.28, 0.26, -90, 270)],
        ),  # two loops
        (
            [
                [(0.08, 0.12), (0.3, 0.0), (0.52, 0.1), (0.48, 0.32), (0.3, 0.5), (0.1, 0.66)]
                + [(0.08, 0.88), (0.3, 1.0), (0.54, 0.88), (0.5, 0.66), (0.3, 0.5), (0.12, 0.33)]
                + [(0.1, 0.12), (0.25, 0.02)],
            ],
        ),  # one stroke the other way round
    ),
    9: (
        (
            [
                [(0.55, 0.15), (0.35, 0.0), (0.1, 0.07), (0.04, 0.28), (0.24, 0.44), (0.5, 0.36)]
                + [(0.58, 0.1)],
                [(0.58, 0.1), (0.56, 0.5), (0.48, 0.8), (0.3, 1.0)],
            ],
        ),  # curved tail
        (
            [
                [(0.55, 0.15), (0.35, 0.0), (0.1, 0.07), (0.04, 0.28), (0.24, 0.44), (0.5, 0.36)]
                + [(0.58, 0.1)],
                [(0.58, 0.1), (0.57, 1.0)],
            ],
        ),  # straight tail
        (
            [_arc(0.3, 0.23, 0.27, 0.23, -20, -380)],
            [[(0.57, 0.08), (0.55, 1.0)]],
        ),  # a loop, then the stem as a second stroke
        (
            [
                _arc(0.36, 0.17, 0.17, 0.16, -15, -375)
                + [(0.52, 0.35), (0.48, 0.62), (0.36, 0.88), (0.16, 1.0), (0.0, 0.92)],
            ],
        ),  # a small loop and a long tail curling back to the left
    ),
}


def variant_count(digit: int) -> int:
    """How many templates ``digit`` has; ``drawn_digit(..., variant=i)`` picks one."""
    return len(TEMPLATES[digit])


def _catmull_rom(points: np.ndarray, per_segment: int = 12) -> np.ndarray:
    """A smooth curve through ``points`` (uniform Catmull-Rom, end tangents mirrored)."""
    if len(points) < 3:
        t = np.linspace(0.0, 1.0, per_segment + 1)[:, None]
        return points[0] + t * (points[-1] - points[0])
    padded = np.vstack([2 * points[0] - points[1], points, 2 * points[-1] - points[-2]])
    t = np.linspace(0.0, 1.0, per_segment, endpoint=False)[:, None]
    t2, t3 = t * t, t * t * t
    pieces = []
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1], padded[i], padded[i + 1], padded[i + 2]
        pieces.append(
            0.5
            * (
                2 * p1
                + (p2 - p0) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2
                + (3 * p1 - p0 - 3 * p2 + p3) * t3
            )
        )
    pieces.append(points[-1:])
    return np.vstack(pieces)


def _warp(rng: np.random.Generator, amount: float):
    """A smooth random displacement of the plane: the shape bends as a whole, corners stay put."""
    waves = []
    for _ in range(3):
        freq = rng.uniform(0.5, 1.6, size=2) * rng.choice([-1, 1], size=2)
        phase = rng.uniform(0, 2 * math.pi, size=2)
        amp = rng.normal(0.0, amount, size=2)
        waves.append((freq, phase, amp))

    def apply(xy: np.ndarray) -> np.ndarray:
        out = xy.copy()
        for freq, phase, amp in waves:
            arg = 2 * math.pi * (freq[0] * xy[:, 0] + freq[1] * xy[:, 1])
            out[:, 0] += amp[0] * np.sin(arg + phase[0])
            out[:, 1] += amp[1] * np.sin(arg + phase[1])
        return out

    return apply


def _arc_length(xy: np.ndarray) -> np.ndarray:
    steps = np.hypot(*np.diff(xy, axis=0).T)
    return np.concatenate([[0.0], np.cumsum(steps)])


def _extend_ends(xy: np.ndarray, start: float, end: float) -> np.ndarray:
    """Overshoot (positive) or stop short (negative) at both ends, along the end tangents."""
    s = _arc_length(xy)
    if len(xy) < 2 or s[-1] == 0:
        return xy
    lo, hi = max(0.0, -start), s[-1] - max(0.0, -end)
    if hi - lo < 0.1 * s[-1]:
        lo, hi = 0.0, s[-1]
    keep = (s >= lo) & (s <= hi)
    core = xy[keep] if keep.sum() >= 2 else xy
    parts = [core]
    if start > 0:
        d = core[0] - core[min(2, len(core) - 1)]
        parts.insert(0, core[:1] + start * d / max(np.hypot(*d), 1e-9))
    if end > 0:
        d = core[-1] - core[max(-3, -len(core))]
        parts.append(core[-1:] + end * d / max(np.hypot(*d), 1e-9))
    return np.vstack(parts)


def _tremor(xy: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    """Small wobble that varies smoothly along the stroke, like an unsteady hand."""
    s = _arc_length(xy)
    out = xy.copy()
    for axis in range(2):
        for wavelength in (0.15, 0.35):
            phase = rng.uniform(0, 2 * math.pi)
            out[:, axis] += rng.normal(0.0, amount) * np.sin(2 * math.pi * s / wavelength + phase)
    return out


def resample(stroke: Sequence[Point] | np.ndarray, spacing: float) -> np.ndarray:
    """Points evenly along the stroke, about ``spacing`` canvas pixels apart, both ends kept."""
    xy = np.asarray(stroke, dtype=float)
    s = _arc_length(xy)
    if len(xy) < 2 or s[-1] < 1e-6:
        return xy[:1]
    at = np.linspace(0.0, s[-1], max(2, round(s[-1] / spacing) + 1))
    return np.column_stack([np.interp(at, s, xy[:, 0]), np.interp(at, s, xy[:, 1])])


def page_curve(events: Sequence[Point] | np.ndarray, *, step: float = 3.0) -> Stroke:
    """The line ``static/js/canvas.js`` draws through a finished stroke's pointer events.

    Quadratic curves through the midpoints (event i-1 is the control point of the piece that
    ends halfway to event i), then a straight piece to the last event; sampled about every
    ``step`` canvas pixels. Events far apart (a fast stroke without coalesced events, a
    replayed recording) come out as the page draws them, rounded at each event.
    """
    xy = np.asarray(events, dtype=float)
    if len(xy) < 3:
        return [(float(x), float(y)) for x, y in xy]
    out = [xy[:1]]
    for i in range(1, len(xy)):
        start = xy[0] if i == 1 else (xy[i - 2] + xy[i - 1]) / 2
        control, end = xy[i - 1], (xy[i - 1] + xy[i]) / 2
        # The curve moves at most twice its longer leg per unit of t.
        count = max(
            1, math.ceil(2 * max(math.dist(start, control), math.dist(control, end)) / step)
        )
        t = np.linspace(0.0, 1.0, count + 1)[1:, None]
        out.append((1 - t) ** 2 * start + 2 * (1 - t) * t * control + t**2 * end)
    start, end = (xy[-2] + xy[-1]) / 2, xy[-1]
    t = np.linspace(0.0, 1.0, max(1, math.ceil(math.dist(start, end) / step)) + 1)[1:, None]
    out.append(start + t * (end - start))
    return [(float(x), float(y)) for x, y in np.vstack(out)]


def sparse_strokes(strokes: Sequence[Stroke], spacing: float) -> list[Stroke]:
    """``strokes`` as the page draws them from pointer events about ``spacing`` canvas pixels
    apart along each one (:func:`resample`, then :func:`page_curve`)."""
    return [page_curve(resample(stroke, spacing)) for stroke in strokes]


def _pointer_events(xy: np.ndarray, rng: np.random.Generator, spacing: float) -> np.ndarray:
    """Resample by arc length the way pointermove events fall: sparse when fast, dense when slow."""
    s = _arc_length(xy)
    total = s[-1]
    if total < 1e-6:
        return xy[:1]
    # Slow at the start and the end of a stroke, fastest in the middle, with a little irregularity.
    samples = [0.0]
    while samples[-1] < total:
        u = samples[-1] / total
        speed = spacing * (0.35 + 0.65 * math.sin(math.pi * u) ** 0.5) * rng.uniform(0.7, 1.3)
        samples.append(samples[-1] + max(speed, 0.5))
    samples[-1] = total
    at = np.asarray(samples)
    return np.column_stack([np.interp(at, s, xy[:, 0]), np.interp(at, s, xy[:, 1])])


def drawn_digit(
    digit: int,
    rng: np.random.Generator,
    *,
    size: float | None = None,
    center: tuple[float, float] | None = None,
    canvas: int = CANVAS_SIDE,
    variant: int | None = None,
    pen_width: float = 18.0,
    variation: float = 1.0,
) -> list[Stroke]:
    """One hand-drawn-looking ``digit`` as strokes of canvas points, like pointer events.

    ``variant`` picks one of its templates (random if None); the rest is ``drawn_template``'s.
    """
    templates = TEMPLATES[digit]
    template = templates[rng.integers(len(templates)) if variant is None else variant]
    return drawn_template(
        template,
        rng,
        size=size,
        center=center,
        canvas=canvas,
        pen_width=pen_width,
        variation=variation,
    )


def drawn_template(
    template: Template,
    rng: np.random.Generator,
    *,
    size: float | None = None,
    center: tuple[float, float] | None = None,
    canvas: int = CANVAS_SIDE,
    pen_width: float = 18.0,
    variation: float = 1.0,
) -> list[Stroke]:
    """A template drawn once by hand as strokes of canvas points, like pointer events.

    ``size`` is the height of the drawing in canvas pixels (random 90-220 if None) and ``center``
    where the middle of its bounding box goes (near the middle if None); the drawing is kept on
    the canvas, ``pen_width`` is only used for that margin. ``variation`` scales every random
    change (0 draws the bare template, upright).
    """
    v = variation
    # The warp and the pose are drawn before the strokes: the order training's random streams
    # were made in.
    warp = _warp(rng, 0.022 * v)
    slant = rng.uniform(-0.12, 0.38) * v  # most people lean to the right
    rotation = math.radians(float(np.clip(rng.normal(0.0, 6.0), -15.0, 15.0)) * v)
    widen = math.exp(rng.normal(0.0, 0.15) * v)
    return place_strokes(
        template_strokes(template, rng, variation=v, warp=warp),
        rng,
        slant=slant,
        rotation=rotation,
        widen=widen,
        size=size,
        center=center,
        canvas=canvas,
        pen_width=pen_width,
    )


def template_strokes(
    template: Template,
    rng: np.random.Generator,
    *,
    variation: float = 1.0,
    warp: Callable[[np.ndarray], np.ndarray] | None = None,
) -> list[np.ndarray]:
    """A template (digit or not) drawn once by hand, as polylines in its own unit box: its
    control points warped (by ``warp``, drawn here if None), joined smoothly, the ends
    overshot or cut short, a little tremor, all scaled by ``variation``. ``place_strokes``
    then slants, rotates and puts it on the canvas."""
    v = variation
    if warp is None:
        warp = _warp(rng, 0.022 * v)
    strokes = []
    for template_stroke in template:
        pieces = []
        for segment in template_stroke:
            curve = _catmull_rom(warp(np.asarray(segment, dtype=float)))
            pieces.append(curve if not pieces else curve[1:])
        xy = np.vstack(pieces)
        xy = _extend_ends(xy, rng.normal(0.015, 0.025) * v, rng.normal(0.015, 0.03) * v)
        strokes.append(_tremor(xy, rng, 0.003 * v))
    return strokes


def place_strokes(
    strokes: Sequence[np.ndarray],
    rng: np.random.Generator,
    *,
    slant: float = 0.0,
    rotation: float = 0.0,
    widen: float = 1.0,
    size: float | None = None,
    center: tuple[float, float] | None = None,
    canvas: int = CANVAS_SIDE,
    pen_width: float = 18.0,
) -> list[Stroke]:
    """Dense (n, 2) polylines in any units -> canvas strokes sampled like pointer events.

    The drawing is widened, slanted (``slant`` moves the top to the right), rotated by
    ``rotation`` radians about its middle, scaled to ``size`` canvas pixels tall (random 90-220
    if None; never off the canvas) and centred on ``center`` (near the middle if None).
    """
    strokes = [np.array(xy, dtype=float) for xy in strokes]
    # Width, slant (top to the right), rotation about the middle.
    everything = np.vstack(strokes)
    middle = (everything.min(axis=0) + everything.max(axis=0)) / 2
    cos, sin = math.cos(rotation), math.sin(rotation)
    for xy in strokes:
        xy -= middle
        xy[:, 0] = xy[:, 0] * widen - slant * xy[:, 1]
        x, y = xy[:, 0].copy(), xy[:, 1].copy()
        xy[:, 0], xy[:, 1] = cos * x - sin * y, sin * x + cos * y

    # Scale to the requested height and place it, keeping it on the canvas.
    everything = np.vstack(strokes)
    low, high = everything.min(axis=0), everything.max(axis=0)
    extent = np.maximum(high - low, 1e-6)
    margin = pen_width / 2 + 2
    room = canvas - 2 * margin
    if size is None:
        size = rng.uniform(90, 220)
    scale = min(size / extent[1], room / extent[0], room / extent[1])
    if center is None:
        center = (canvas / 2 + rng.normal(0, 12), canvas / 2 + rng.normal(0, 12))
    half = extent * scale / 2
    cx = float(np.clip(center[0], margin + half[0], canvas - margin - half[0]))
    cy = float(np.clip(center[1], margin + half[1], canvas - margin - half[1]))
    mid = (low + high) / 2

    result: list[Stroke] = []
    spacing = rng.uniform(2.0, 9.0)  # pixels between pointer events at full speed
    for xy in strokes:
        placed = (xy - mid) * scale + (cx, cy)
        events = _pointer_events(placed, rng, spacing * rng.uniform(0.8, 1.25))
        result.append([(float(x), float(y)) for x, y in events])
    return result


def render_strokes(
    strokes: Sequence[Sequence[Point]],
    *,
    size: int = CANVAS_SIDE,
    pen_width: float = 18.0,
    scale: float = 1.0,
    supersample: int = 4,
    compress_level: int = 6,
) -> bytes:
    """Draw black round-capped, round-joined lines on a transparent canvas and return PNG bytes.

    This is what the page's ``<canvas>`` holds: RGBA, (0, 0, 0, 0) where nothing was drawn,
    antialiased edges in the alpha channel. ``scale`` is the device pixel ratio (2.0 gives 560x560);
    strokes stay in CSS pixels. ``compress_level`` is zlib's (0 stores: for training, where
    the bytes never leave the process).
    """
    side = round(size * scale)
    factor = scale * supersample
    width = pen_width * factor
    radius = width / 2
    mask = Image.new("L", (side * supersample, side * supersample), 0)
    draw = ImageDraw.Draw(mask)
    for stroke in strokes:
        points = [(x * factor, y * factor) for x, y in stroke]
        # Each segment as a quad with a disc at every point: round caps and joins. (Pillow's wide
        # draw.line comes out too thin when a segment is shorter than the pen is wide.)
        for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
            length = math.hypot(x1 - x0, y1 - y0)
            if length > 0:
                nx, ny = -(y1 - y0) / length * radius, (x1 - x0) / length * radius
                draw.polygon(
                    [
                        (x0 + nx, y0 + ny),
                        (x1 + nx, y1 + ny),
                        (x1 - nx, y1 - ny),
                        (x0 - nx, y0 - ny),
                    ],
                    fill=255,
                )
        for x, y in points:
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    if supersample > 1:
        mask = mask.reduce(supersample)
    black = Image.new("L", mask.size, 0)
    canvas_image = Image.merge("RGBA", (black, black, black, mask))
    buffer = io.BytesIO()
    canvas_image.save(buffer, format="PNG", compress_level=compress_level)
    return buffer.getvalue()


def drawn_digit_png(
    digit: int,
    rng: np.random.Generator,
    *,
    pen_width: float = 18.0,
    scale: float = 1.0,
    **kwargs: object,
) -> bytes:
    """``drawn_digit`` rendered by ``render_strokes`` on a 280x280 canvas (times ``scale``)."""
    strokes = drawn_digit(digit, rng, pen_width=pen_width, **kwargs)  # type: ignore[arg-type]
    return render_strokes(strokes, pen_width=pen_width, scale=scale)


def upload_side(
    strokes: Sequence[Sequence[Point]], *, pen_width: float = 18.0, canvas: int = CANVAS_SIDE
) -> int:
    """The side of what the page uploads for ``strokes`` (static/js/canvas.js, ``uploadImage``):
    the whole canvas, scaled down until the ink, pen included, is at most ``UPLOAD_INK_SIDE``
    pixels across; never more than the canvas's own 280."""
    points = np.array([point for stroke in strokes for point in stroke], dtype=float)
    extent = float((points.max(axis=0) - points.min(axis=0)).max()) + pen_width
    return min(canvas, round(UPLOAD_INK_SIDE * canvas / extent))


def upload_png(strokes: Sequence[Sequence[Point]], *, pen_width: float = 18.0) -> bytes:
    """``strokes`` as the page uploads them: rendered at ``upload_side``, whatever the screen."""
    side = upload_side(strokes, pen_width=pen_width)
    return render_strokes(strokes, pen_width=pen_width, scale=side / CANVAS_SIDE)
