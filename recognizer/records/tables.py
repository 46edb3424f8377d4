"""The Cassandra tables of a prediction record, one per query (see docs/DATA_MODEL.md).

``mnist1`` is the seed's table and the record of truth (``id uuid``, ``digits text``,
``upload_time timestamp``, kept by name and columns so the old data and tools still
read it). The other tables hold the same record again, laid out for the queries of the
history page and the admin, so that no read needs ``ALLOW FILTERING`` or a scan. Every
key is derived from the record's id and time (``keys.py``), so rewriting a record
upserts the same rows everywhere.
"""

from cassandra.cqlengine import columns
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
    # The network's "not a digit" score was over its threshold; digits still holds its digit.
    not_a_digit = columns.Boolean()
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


class PredictionByUser(DjangoCassandraModel):
    """A user's history, newest first: one partition per user and month, so no
    partition grows without bound (see docs/DATA_MODEL.md for sizes)."""

    __table_name__ = "predictions_by_user"

    user_id = columns.Integer(partition_key=True)
    month = columns.Text(partition_key=True)
    created = columns.TimeUUID(primary_key=True, clustering_order="DESC")

    id = columns.UUID(required=True)
    digits = columns.Text(required=True)
    upload_time = columns.DateTime(required=True)
    confidence = columns.Float()
    unsure = columns.Boolean()
    not_a_digit = columns.Boolean()
    probabilities = columns.List(columns.Float)
    image = columns.Blob()
    model_version = columns.Text()
    source = columns.Text()
    corrected_label = columns.Integer()
    corrected_at = columns.DateTime()

    class Meta:
        get_pk_field = "created"


class PredictionMonthByUser(DjangoCassandraModel):
    """The months in which a user has predictions, newest first: where history paging
    goes next without probing empty month partitions."""

    __table_name__ = "prediction_months_by_user"

    user_id = columns.Integer(partition_key=True)
    month = columns.Text(primary_key=True, clustering_order="DESC")

    class Meta:
        get_pk_field = "month"


class PredictionByDay(DjangoCassandraModel):
    """Every user's predictions of one UTC day, newest first: the admin's browsing table."""

    __table_name__ = "predictions_by_day"

    day = columns.Date(partition_key=True)
    created = columns.TimeUUID(primary_key=True, clustering_order="DESC")

    id = columns.UUID(required=True)
    user_id = columns.Integer()
    username = columns.Text()
    digits = columns.Text(required=True)
    upload_time = columns.DateTime(required=True)
    confidence = columns.Float()
    unsure = columns.Boolean()
    not_a_digit = columns.Boolean()
    probabilities = columns.List(columns.Float)
    image = columns.Blob()
    model_version = columns.Text()
    source = columns.Text()
    corrected_label = columns.Integer()
    corrected_at = columns.DateTime()

    class Meta:
        get_pk_field = "created"


class PredictionStatsByUser(DjangoCassandraModel):
    """A user's summary, one row per month: how many predictions, and per true digit how
    many got feedback and how many of those were right. Each row is *recomputed* from its
    month's partition (never incremented), so recomputing again, after a retry or a replay,
    gives the same row (see ``records.stats``)."""

    __table_name__ = "prediction_stats_by_user"

    user_id = columns.Integer(partition_key=True)
    month = columns.Text(primary_key=True, clustering_order="DESC")

    predictions = columns.Integer()
    # True digit (the label the user gave) -> how many records; "right" when it was the answer.
    judged = columns.Map(columns.Integer, columns.Integer)
    right = columns.Map(columns.Integer, columns.Integer)
    computed_at = columns.DateTime()
    # records.record.COUNTING_RULES when computed; a row of older rules is computed again.
    counting_rules = columns.Integer()

    class Meta:
        get_pk_field = "month"


class PredictionDayStats(DjangoCassandraModel):
    """The admin's statistics of one UTC day, per model version: a cache, never the truth.

    ``stats`` is recomputed from the day's partition of ``predictions_by_day``, so a
    replayed or retried write can never count twice (as a counter would). The writer sets
    ``changed`` to a fresh ``now()`` after every write to a day; the cache is fresh while
    ``computed_for`` equals it (see ``day_stats`` and docs/DATA_MODEL.md). One partition
    per year keeps a range of days one read.
    """

    __table_name__ = "prediction_day_stats"

    year = columns.Integer(partition_key=True)
    day = columns.Date(primary_key=True, clustering_order="DESC")

    changed = columns.TimeUUID()
    computed_for = columns.TimeUUID()
    # JSON: {model_version: {"format", "n", "digits", "unsure", "not_a_digit", "feedback",
    # "agree", "confusion"}}: records.day_stats.Tally.as_json.
    stats = columns.Text()

    class Meta:
        get_pk_field = "day"
