import numpy as np
import pytest

from training.strokes import page_curve, resample


def near(line: np.ndarray, point) -> float:
    return float(np.hypot(*(line - np.asarray(point)).T).min())


def test_the_page_curve_runs_through_the_ends_and_the_midpoints_between_events():
    events = [(20.0, 20.0), (120.0, 30.0), (150.0, 130.0), (60.0, 200.0)]
    line = np.asarray(page_curve(events))
    assert line[0] == pytest.approx(events[0]) and line[-1] == pytest.approx(events[-1])
    for a, b in zip(events[1:], events[2:], strict=False):
        assert near(line, ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)) < 0.5
    # Rounded at the events in between (canvas.js's control points), never through them.
    assert near(line, events[1]) > 5 and near(line, events[2]) > 5
    assert np.hypot(*np.diff(line, axis=0).T).max() <= 3.0 + 1e-9


def test_events_on_a_line_give_that_line():
    line = np.asarray(page_curve([(0.0, 0.0), (30.0, 30.0), (60.0, 60.0), (90.0, 90.0)]))
    assert line[:, 0] == pytest.approx(line[:, 1])


def test_one_or_two_events_are_drawn_as_they_are():
    assert page_curve([(5.0, 6.0)]) == [(5.0, 6.0)]
    assert page_curve([(5.0, 6.0), (9.0, 6.0)]) == [(5.0, 6.0), (9.0, 6.0)]


def test_resampling_keeps_the_ends_and_spaces_the_points_evenly():
    stroke = [(0.0, 0.0), (0.0, 50.0), (100.0, 50.0)]
    points = resample(stroke, 30.0)
    assert points[0] == pytest.approx((0.0, 0.0)) and points[-1] == pytest.approx((100.0, 50.0))
    gaps = np.hypot(*np.diff(points, axis=0).T)
    assert len(points) == 6 and gaps.max() <= 30.0 + 1e-9
