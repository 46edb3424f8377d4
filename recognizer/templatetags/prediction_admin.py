"""Small presentation helpers for the admin's prediction pages."""

import base64

from django import template

register = template.Library()


@register.filter
def png_data_url(image: bytes | None) -> str:
    """The stored 28x28 PNG inline, so a page of thumbnails is one request."""
    if not image:
        return ""
    return "data:image/png;base64," + base64.b64encode(image).decode("ascii")


@register.filter
def short_version(version: str | None) -> str:
    """Model versions are sha256 digests; twelve characters tell them apart."""
    return (version or "")[:12] or "—"


@register.filter
def percent(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}%}"
