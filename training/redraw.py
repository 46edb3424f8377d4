"""MNIST digits redrawn as canvas strokes: real hands, in the domain the site sees.

MNIST's digits were written by hundreds of people with pens on paper; the site gets a round pen
of one width on a canvas, at any size and place. Redrawing an MNIST image keeps its writer's
shape and moves it into the canvas's domain:

1. the 28x28 image is enlarged (bilinear) and thresholded, then skeletonised
   (``skimage.morphology.skeletonize``) to a one-pixel centre line;
2. the skeleton is traced into polylines (:func:`trace_skeleton`): pixels with other than two
   neighbours are the ends and junctions, the runs between them are strokes, closed loops are
   strokes too; short spurs that thinning leaves at thick ends and corners are dropped, and every
   polyline is smoothed; ink the strokes leave uncovered when drawn with the writer's own pen
   (a loop the pen filled in, a bold stroke's short arm) is traced too
   (:func:`recover_lost_ink`);
3. the strokes are bent by a smooth elastic warp, slanted, rotated and placed on the 280x280
   canvas at a random size and place (:func:`training.strokes.place_strokes`), sampled like
   pointer events, rendered with the canvas's round pen at a random width and device-pixel
   ratio, and put through the site's own preprocessing.

Used for training on MNIST's *training* split only; ``bench.drawn_digits`` redraws the *test*
split the same way as a held-out check.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, ImageDraw

from recognizer import preprocessing
from training.strokes import CANVAS_SIDE, Stroke, _warp, place_strokes, render_strokes

UPSAMPLE = 4  # skeleton pixels per MNIST pixel: enough for smooth centre lines
THRESHOLD = 0.5  # of full ink: where MNIST's antialiased edge counts as the stroke
SPUR_LENGTH = 1.5  # MNIST pixels; a dangling branch shorter than this is a thinning artefact
SMOOTHING = 2  # half-width (skeleton pixels) of the moving average along a stroke
BLOB_FACTOR = 2.5  # ink deeper than this many half stroke widths is a filled loop
# MNIST pixels: bits of skeleton shorter than SPECK are dropped, unless the whole drawing is
# shorter than TINY_DRAWING (then nothing is dropped: better a speck than no stroke at all).
SPECK = 0.5
TINY_DRAWING = 1.5
# Ink the traced strokes leave uncovered is traced too when it is bigger than this many squares
# of the writer's half pen width; its strokes when longer than LOST_STROKE_LENGTH (MNIST pixels),
# joined to the old strokes when their ends are within JOIN_DISTANCE half pen widths of them.
LOST_INK_AREA = 1.5
LOST_STROKE_LENGTH = 0.7
JOIN_DISTANCE = 1.5

_NEIGHBOURS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))

MIN_SIZE = 45.0  # canvas px: the smallest drawings
MIN_PENS_TALL = 4.0
# The parts of a redrawing's variation on top of the writer's own shape (``redraw_strokes``):
# the pen, the size, the place and the device-pixel ratio are chosen apart from them.
VARIED = ("slant", "rotation", "warp", "widen")

# Canvas pens (CSS px): the page's 18 most of the time, thinner and thicker too.
PENS = (10.0, 14.0, 18.0, 18.0, 18.0, 24.0, 28.0)


def skeleton(mask: np.ndarray, depth: np.ndarray, half_width: float) -> np.ndarray:
    """The one-pixel centre line of the ink ``mask`` (its ``depth``: distance to the paper;
    ``half_width``: :func:`_median_depth`)."""
    from scipy.ndimage import distance_transform_edt
    from skimage.morphology import skeletonize

    # A loop that the writer's pen filled in (a 9 or a 6 written small and bold) thins to a line,
    # and the digit is lost. Where the ink is far thicker than its strokes, open a hole, so the
    # centre line goes round it as the writer's pen did.
    core = depth > BLOB_FACTOR * max(half_width, 1.0)
    if core.any():
        mask = mask & ~(distance_transform_edt(~core) <= 0.5 * half_width)
    return skeletonize(mask)


def ink(image: np.ndarray, *, upsample: int = UPSAMPLE) -> np.ndarray:
    """Where a uint8 white-on-black digit has ink, ``upsample`` times finer than the image."""
    height, width = image.shape
    big = Image.fromarray(image).resize(
        (width * upsample, height * upsample), Image.Resampling.BILINEAR
    )
    return np.asarray(big) >= THRESHOLD * 255


def _median_depth(mask: np.ndarray, depth: np.ndarray) -> float:
    """The writer's half pen width: the median depth of the ink along its centre line (fine
    pixels), 0 without ink."""
    from skimage.morphology import skeletonize

    return float(np.median(depth[skeletonize(mask)])) if mask.any() else 0.0


def half_stroke_width(mask: np.ndarray) -> float:
    """The writer's half pen width in fine pixels, at least one."""
    from scipy.ndimage import distance_transform_edt

    return max(_median_depth(mask, distance_transform_edt(mask)), 1.0)


def _pen_cover(
    strokes: list[np.ndarray], half_width: float, shape: tuple[int, int], upsample: int
) -> np.ndarray:
    """The fine pixels a round pen of ``half_width`` (fine pixels) inks along ``strokes``."""
    canvas = Image.new("1", (shape[1], shape[0]), 0)
    draw = ImageDraw.Draw(canvas)
    for stroke in strokes:
        points = [((x + 0.5) * upsample - 0.5, (y + 0.5) * upsample - 0.5) for x, y in stroke]
        if len(points) > 1:
            draw.line(points, fill=1, width=max(1, round(2 * half_width)), joint="curve")
        for x, y in (points[0], points[-1]):
            draw.ellipse([x - half_width, y - half_width, x + half_width, y + half_width], fill=1)
    return np.asarray(canvas, dtype=bool)


def ink_coverage(
    image: np.ndarray, strokes: list[np.ndarray], *, upsample: int = UPSAMPLE
) -> float:
    """The share of a digit's ink that ``strokes`` cover, drawn with the writer's own pen."""
    mask = ink(image, upsample=upsample)
    if not mask.any():
        return 1.0
    cover = _pen_cover(strokes, half_stroke_width(mask), mask.shape, upsample)
    return float((mask & cover).sum() / mask.sum())


def recover_lost_ink(
    mask: np.ndarray, strokes: list[np.ndarray], *, half_width: float, upsample: int = UPSAMPLE
) -> list[np.ndarray]:
    """``strokes`` and new ones for the ink of ``mask`` they leave uncovered, drawn with a pen
    of ``half_width`` fine pixels.

    Thinning loses what is wider than it is long: a loop the pen filled in becomes one line
    down its middle, a bold stroke's short arm (the top of a 3) a stub the spur rule drops.
    Drawn with the writer's own pen, the strokes then leave that ink uncovered. Each uncovered
    region bigger than ``LOST_INK_AREA`` pen squares is traced too, and each new stroke joined
    to the old ones where it ends next to them: the sides of a filled loop come back as the two
    halves of a loop, an arm as an arm."""
    from scipy.ndimage import binary_erosion, label
    from skimage.morphology import skeletonize

    if not strokes:
        return strokes
    lost = binary_erosion(mask & ~_pen_cover(strokes, half_width, mask.shape, upsample))
    regions, count = label(lost)
    points = np.vstack(strokes)
    added = []
    for region in range(1, count + 1):
        where = regions == region
        if where.sum() < LOST_INK_AREA * half_width**2:
            continue
        for stroke in trace_skeleton(skeletonize(where), upsample=upsample):
            if _length(stroke) < LOST_STROKE_LENGTH:
                continue
            for end in (0, -1):
                gaps = np.hypot(*(points - stroke[end]).T)
                nearest = int(np.argmin(gaps))
                if gaps[nearest] * upsample <= JOIN_DISTANCE * half_width + 1:
                    joint = points[nearest][None]
                    stroke = np.vstack([joint, stroke] if end == 0 else [stroke, joint])
            added.append(stroke)
    return strokes + added


def _adjacency(pixels: set[tuple[int, int]]) -> dict[tuple[int, int], list[tuple[int, int]]]:
    """8-connected neighbours, without the diagonal shortcut across a corner that two
    4-connected steps already make (it would turn every staircase corner into a junction)."""
    adjacency: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for y, x in pixels:
        found = []
        for dy, dx in _NEIGHBOURS:
            q = (y + dy, x + dx)
            if q not in pixels:
                continue
            if dy and dx and ((y + dy, x) in pixels or (y, x + dx) in pixels):
                continue
            found.append(q)
        adjacency[(y, x)] = found
    return adjacency


def _smooth(path: np.ndarray, half: int) -> np.ndarray:
    """Moving average along a polyline, ends kept where they are."""
    if len(path) <= 2 or half < 1:
        return path
    padded = np.vstack([np.repeat(path[:1], half, 0), path, np.repeat(path[-1:], half, 0)])
    kernel = np.ones(2 * half + 1) / (2 * half + 1)
    out = np.column_stack(
        [np.convolve(padded[:, i], kernel, mode="valid") for i in range(path.shape[1])]
    )
    out[0], out[-1] = path[0], path[-1]
    return out


def _length(path: np.ndarray) -> float:
    return float(np.hypot(*np.diff(path, axis=0).T).sum()) if len(path) > 1 else 0.0


def trace_skeleton(skel: np.ndarray, *, upsample: int = UPSAMPLE) -> list[np.ndarray]:
    """Polylines (x, y), in the image's own pixel units, that retrace a skeleton."""
    pixels = {(int(y), int(x)) for y, x in zip(*np.nonzero(skel), strict=True)}
    if not pixels:
        return []
    adjacency = _adjacency(pixels)
    degree = {p: len(n) for p, n in adjacency.items()}
    seen: set[frozenset] = set()
    # (pixels, droppable): a run from a junction to a free end, or a lone pixel, is dropped when
    # shorter than SPUR_LENGTH: thinning leaves such spurs at thick ends and corners.
    paths: list[tuple[list[tuple[int, int]], bool]] = []

    def walk(start: tuple[int, int], step: tuple[int, int]) -> list[tuple[int, int]]:
        path = [start, step]
        seen.add(frozenset((start, step)))
        previous, current = start, step
        while degree[current] == 2 and current != start:
            following = [q for q in adjacency[current] if frozenset((current, q)) not in seen]
            if not following:
                break
            previous, current = current, following[0]
            seen.add(frozenset((previous, current)))
            path.append(current)
        return path

    for node in sorted(p for p in pixels if degree[p] != 2):
        if degree[node] == 0:
            paths.append(([node], True))
        for q in adjacency[node]:
            if frozenset((node, q)) not in seen:
                path = walk(node, q)
                dangling = degree[path[0]] == 1 or degree[path[-1]] == 1
                branching = degree[path[0]] >= 3 or degree[path[-1]] >= 3
                paths.append((path, dangling and branching))
    for pixel in sorted(pixels):  # what is left are closed loops
        for q in adjacency[pixel]:
            if frozenset((pixel, q)) not in seen:
                paths.append((walk(pixel, q), False))

    polylines = []
    for path, spur in paths:
        xy = np.array([(x, y) for y, x in path], dtype=float)
        xy = (xy + 0.5) / upsample - 0.5  # back to the image's pixel centres
        if spur and _length(xy) < SPUR_LENGTH:
            continue
        polylines.append(_smooth(xy, SMOOTHING))
    if sum(_length(p) for p in polylines) < TINY_DRAWING:
        return polylines
    return [p for p in polylines if _length(p) >= SPECK or len(polylines) == 1]


def image_strokes(image: np.ndarray) -> list[np.ndarray]:
    """The strokes of a uint8 (28, 28) MNIST digit, as (n, 2) x-y polylines in image pixels."""
    from scipy.ndimage import distance_transform_edt

    mask = ink(image)
    depth = distance_transform_edt(mask)
    median = _median_depth(mask, depth)  # thinning and recovering share the writer's pen
    strokes = trace_skeleton(skeleton(mask, depth, median))
    return recover_lost_ink(mask, strokes, half_width=max(median, 1.0))


def held_still(parts: Collection[str]) -> frozenset[str]:
    """``parts`` as a set of ``VARIED``'s names; a ValueError names any other."""
    if unknown := set(parts) - set(VARIED):
        raise ValueError(
            f"no part of the variation called {', '.join(sorted(unknown))} "
            f"(only {', '.join(VARIED)})"
        )
    return frozenset(parts)


@dataclass(frozen=True)
class Redrawing:
    strokes: list[Stroke]  # canvas CSS pixels, as pointer events
    pen_width: float
    scale: float  # device-pixel ratio
    size: float  # drawing height in canvas pixels


def redraw_strokes(
    strokes: list[np.ndarray],
    rng: np.random.Generator,
    *,
    size: float | None = None,
    center: tuple[float, float] | None = None,
    pen_width: float | None = None,
    variation: float = 1.0,
    still: Collection[str] = (),
) -> Redrawing:
    """Place traced strokes on the canvas as a hand would draw them there.

    ``variation`` scales the slant, rotation, warp and widening (``VARIED``) added to the
    writer's own shape; the parts named in ``still`` are left out. Their random numbers are
    drawn either way, so a copy of the stream gives the same pen, size and place with or
    without them (``bench.drawn_digits_mnist``)."""
    still = held_still(still)
    v = {part: 0.0 if part in still else variation for part in VARIED}
    pen = float(rng.choice(PENS)) if pen_width is None else pen_width
    if size is None:
        # A round pen fills the loops of a digit drawn much smaller than five pens tall; people
        # draw bigger than that (or the page's pen would make blobs of their digits too).
        size = rng.uniform(max(MIN_SIZE, MIN_PENS_TALL * pen), 250)
    if center is None and rng.random() < 0.5:
        center = (rng.uniform(30, 250), rng.uniform(30, 250))
    everything = np.vstack(strokes)
    height = max(float(np.ptp(everything[:, 1])), 1.0)
    warp = _warp(rng, 0.012 * v["warp"])  # elastic: works in units of the drawing's height
    unit = [warp(xy / height) for xy in strokes]
    placed = place_strokes(
        unit,
        rng,
        slant=rng.uniform(-0.15, 0.25) * v["slant"],
        rotation=math.radians(float(np.clip(rng.normal(0.0, 5.0), -12.0, 12.0)) * v["rotation"]),
        widen=math.exp(rng.normal(0.0, 0.12) * v["widen"]),
        size=size,
        center=center,
        canvas=CANVAS_SIDE,
        pen_width=pen,
    )
    return Redrawing(
        strokes=placed, pen_width=pen, scale=float(rng.choice([1.0, 2.0])), size=float(size)
    )


def render_for_model(drawing: Redrawing, *, supersample: int = 1) -> np.ndarray:
    """What the site's model sees for a drawing: uint8 (28, 28), via the site's preprocessing."""
    png = render_strokes(
        drawing.strokes,
        pen_width=drawing.pen_width,
        scale=drawing.scale,
        supersample=supersample,
        compress_level=0,
    )
    return np.rint(preprocessing.preprocess(png) * 255).astype(np.uint8)


def redraw_images(
    images: np.ndarray,
    *,
    seed: int | list[int],
    resample: Callable[[list[Stroke]], list[Stroke]] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Every uint8 (28, 28) image of ``images`` redrawn on the canvas and preprocessed, in order.

    ``resample`` may change each drawing's strokes before they are rendered (its own random
    stream, so the drawings are placed as without it). A digit whose traced strokes come out
    empty (a blank image) is returned as it was."""
    rng = np.random.default_rng(seed)
    out = np.empty_like(images)
    for index, image in enumerate(images):
        strokes = image_strokes(image)
        if not strokes:
            out[index] = image
            continue
        drawing = redraw_strokes(strokes, rng)
        if resample is not None:
            drawing = replace(drawing, strokes=resample(drawing.strokes))
        try:
            out[index] = render_for_model(drawing)
        except preprocessing.ImageError:
            out[index] = image
        if progress is not None and (index + 1) % 2000 == 0:
            progress(index + 1, len(images))
    return out
