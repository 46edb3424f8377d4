"""API tokens live in SQLite beside the users they belong to; predictions live in
Cassandra, in the tables of ``recognizer.records.tables``.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

# sync_cassandra finds an app's tables among the members of its models module.
from recognizer.records.tables import (  # noqa: F401
    Prediction,
    PredictionByDay,
    PredictionByUser,
    PredictionDayStats,
    PredictionMonthByUser,
    PredictionStatsByUser,
)


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
