import pytest
from PIL import Image, ImageDraw

from recognizer.tests.images import png_bytes
from recognizer.tokens import api_token_create


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="ada", password="a-long-password-1")


@pytest.fixture
def session_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def token(user) -> str:
    return api_token_create(user=user)


@pytest.fixture
def one_png() -> bytes:
    """A plain vertical stroke on a transparent canvas: a "1" as a person draws it."""
    image = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(140, 50), (135, 230)], fill=(0, 0, 0, 255), width=18)
    return png_bytes(image)


@pytest.fixture
def blank_png() -> bytes:
    return png_bytes(Image.new("RGBA", (280, 280), (0, 0, 0, 0)))
