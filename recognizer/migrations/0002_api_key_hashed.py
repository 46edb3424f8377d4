"""Keep only the sha256 of each API key. Existing keys go on working: their hash is what
the new lookup compares."""

import hashlib

import django.utils.timezone
from django.db import migrations, models


def hash_keys(apps, schema_editor):
    ApiToken = apps.get_model("recognizer", "ApiToken")
    for token in ApiToken.objects.all():
        token.key_hash = hashlib.sha256(token.key.encode()).hexdigest()
        token.prefix = token.key[:8]
        token.save(update_fields=["key_hash", "prefix"])


class Migration(migrations.Migration):
    dependencies = [
        ("recognizer", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="key_hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="prefix",
            field=models.CharField(default="", editable=False, max_length=8),
            preserve_default=False,
        ),
        migrations.RunPython(hash_keys, migrations.RunPython.noop),
        migrations.RemoveField(model_name="apitoken", name="key"),
        migrations.AlterField(
            model_name="apitoken",
            name="key_hash",
            field=models.CharField(
                editable=False, max_length=64, unique=True, verbose_name="key (sha256)"
            ),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="created",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="last_used",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AlterModelOptions(name="apitoken", options={"verbose_name": "API key"}),
    ]
