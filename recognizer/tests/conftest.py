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


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user(username="bob", password="a-long-password-2")


@pytest.fixture
def make_record():
    """Write a record for a user straight through the writer, at a chosen time."""
    import uuid
    from datetime import UTC, datetime

    from recognizer.records.record import PredictionRecord
    from recognizer.records.writer import record_save

    def make(
        user,
        *,
        when=None,
        digit=3,
        corrected_label=None,
        not_a_digit=False,
        confidence=0.9,
        unsure=False,
    ):
        record = PredictionRecord(
            id=uuid.uuid4(),
            digits=str(digit),
            upload_time=when or datetime.now(UTC).replace(microsecond=0),
            user_id=user.pk,
            username=user.get_username(),
            confidence=confidence,
            unsure=unsure,
            probabilities=tuple(
                confidence if d == digit else (1 - confidence) / 9 for d in range(10)
            ),
            image=b"\x89PNG",
            model_version="test",
            source="api",
            corrected_label=corrected_label,
            not_a_digit=not_a_digit,
        )
        return record_save(record=record).record

    return make
