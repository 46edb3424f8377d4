"""What can be wrong with an uploaded image. The API maps each class to a status (``InvalidImage``
400, ``ImageTooLarge`` 413, ``UnsupportedImage`` 415, ``NothingDrawn`` 422)."""

from __future__ import annotations


class ImageError(ValueError):
    """Base of every problem with an image; ``message`` is fit to show to the person who sent it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidImage(ImageError):
    """Not a readable image: junk, truncated or corrupt bytes, bad base64 (HTTP 400)."""


class UnsupportedImage(ImageError):
    """A real image but not one we take: GIF, WebP, animated PNG, a non-image data URL (415)."""


class ImageTooLarge(ImageError):
    """The declared pixel size is over the limit; refused before decoding (HTTP 413)."""


class NothingDrawn(ImageError):
    """Blank, a few stray pixels, or a single dot (HTTP 422)."""
