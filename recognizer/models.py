"""API tokens live in SQLite beside the users they belong to; predictions live in
Cassandra, in the tables of ``recognizer.records.tables``.
"""

import secrets

from django.conf import settings
from django.db import models

# sync_cassandra finds an app's tables among the members of its models module.
from recognizer.records.tables import (  # noqa: F401
    Prediction,
    PredictionByDay,
    PredictionByUser,
    PredictionDayStats,
    PredictionMonthByUser,
)


def new_token_key() -> str:
    return secrets.token_hex(20)


class ApiToken(models.Model):
    """The key a script sends as ``Authorization: Token <key>``; one per user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_token"
    )
    key = models.CharField(max_length=40, unique=True, default=new_token_key)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"API token of {self.user}"
