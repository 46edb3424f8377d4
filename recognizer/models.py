"""Predictions live in Cassandra; API tokens live in SQLite beside the users they belong to.

``mnist1`` is the seed's table (``id uuid``, ``digits text``, ``upload_time
timestamp``), kept by name and columns so the old data and tools still read it; the
other columns are what a prediction record needs today.
"""

from cassandra.cqlengine import columns
from django.conf import settings
from django.db import models
from django.utils import timezone
from django_cassandra_engine.models import DjangoCassandraModel

SOURCES = ("page", "api", "upload")


class Prediction(DjangoCassandraModel):
    """One recognised drawing, keyed by an id made before the first write attempt,
    so that writing the same record again is an idempotent upsert, never a second row."""

    __table_name__ = "mnist1"

    id = columns.UUID(primary_key=True)
    # The digit as text ("7"; the seed wrote "[7]").
    digits = columns.Text(required=True)
    upload_time = columns.DateTime(required=True)

    user_id = columns.Integer()
    username = columns.Text()
    confidence = columns.Float()
    # Below the model's calibrated threshold the page says "not sure".
    unsure = columns.Boolean()
    probabilities = columns.List(columns.Float)
    # The 28x28 PNG the model saw, so a record can be re-examined or trained on.
    image = columns.Blob()
    model_version = columns.Text()
    source = columns.Text()
    corrected_label = columns.Integer()
    corrected_at = columns.DateTime()

    class Meta:
        get_pk_field = "id"

    def __str__(self) -> str:
        return f"{self.digits} at {self.upload_time:%Y-%m-%d %H:%M:%S} ({self.id})"


class ApiToken(models.Model):
    """The key a script sends as ``Authorization: Token <key>``; one per user.

    Only the key's sha256 is stored, so a leaked database holds no usable key: the key
    itself is shown once, when it is made (``recognizer.tokens.api_token_create``).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_token"
    )
    key_hash = models.CharField("key (sha256)", max_length=64, unique=True, editable=False)
    # The key's first characters, so that a person can tell which key a script holds.
    prefix = models.CharField(max_length=8, editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False)
    last_used = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"API key {self.prefix}… of {self.user}"
