"""Charts for the admin as inline SVG, drawn on the server: no script, no CDN, and they
print, scale and read in a screen reader (each bar has a <title>).

Numbers are formatted here and every text passes through ``escape``, so the markup is
safe to mark safe.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Colours come from classes in static/css/admin-predictions.css (the admin's own CSS
# variables, so light and dark themes), never from style attributes: the CSP forbids them.


def _svg(*, label: str, width: int, height: int, body: str) -> SafeString:
    return mark_safe(  # noqa: S308  (numbers formatted here, text escaped)
        f'<svg class="chart" role="img" aria-label="{escape(label)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg">{body}</svg>'
    )


def bar_chart(
    bars: Sequence[tuple[str, float]],
    *,
    title: str,
    width: int = 640,
    height: int = 180,
    label_every: int = 1,
) -> SafeString:
    """Vertical bars with their labels under them (every ``label_every``-th) and the
    largest value on the axis."""
    top, bottom, left = 16, 22, 44
    plot_h = height - top - bottom
    plot_w = width - left
    peak = max((value for _, value in bars), default=0) or 1
    step = plot_w / max(len(bars), 1)
    gap = min(step * 0.2, 4)
    parts = [
        f'<line x1="{left}" y1="{top}" x2="{width}" y2="{top}"/>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width}" y2="{top + plot_h}"/>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">{peak:,}</text>',
        f'<text x="{left - 4}" y="{top + plot_h + 4}" text-anchor="end">0</text>',
    ]
    for i, (label, value) in enumerate(bars):
        bar_h = plot_h * value / peak
        x = left + i * step
        parts.append(
            f'<rect x="{x + gap / 2:.1f}" y="{top + plot_h - bar_h:.1f}" '
            f'width="{max(step - gap, 1):.1f}" height="{bar_h:.1f}" class="bar">'
            f"<title>{escape(label)}: {value:,}</title></rect>"
        )
        if i % label_every == 0:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{height - 6}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    return _svg(label=title, width=width, height=height, body="".join(parts))


def probability_bars(probabilities: Sequence[float], *, digit: int) -> SafeString:
    """All ten probabilities as horizontal bars, the predicted digit highlighted."""
    row_h, left, width = 22, 24, 420
    bar_w = width - left - 70
    parts = []
    for d, p in enumerate(probabilities):
        y = d * row_h
        length = max(bar_w * p, 0.5)
        parts.append(
            f'<text x="0" y="{y + 15}" class="big">{d}</text>'
            f'<rect x="{left}" y="{y + 4}" width="{length:.1f}" height="14" '
            f'class="{"bar current" if d == digit else "bar"}"><title>{d}: {p:.4f}</title></rect>'
            f'<text x="{left + length + 6:.1f}" y="{y + 15}">{p:.2%}</text>'
        )
    return _svg(
        label="Probabilities of the ten digits",
        width=width,
        height=row_h * len(probabilities),
        body="".join(parts),
    )
