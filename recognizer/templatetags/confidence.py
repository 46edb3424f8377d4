"""How sure the network was, in words the drawing page also uses (static/js/canvas.js)."""

from django import template

register = template.Library()


@register.filter
def confidence_percent(value: float) -> str:
    """A probability as a percentage with one decimal. A network is never 100% sure and
    rarely exactly 0%: say so rather than round to it."""
    p = float(value) * 100
    if p >= 99.95:
        return ">99.9%"
    if p < 0.05:
        return "<0.1%"
    return f"{p:.1f}%"
