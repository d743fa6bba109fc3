"""Signing keys are unique per organization, and registered with proof of possession (issue 10, finding 10).

A key id was unique across the platform, so whoever registered a public key first kept it from its owner.
Now each organization may register a key once; ``KeyChallengeUse`` remembers the challenges that proved
possession, so none proves it twice. Existing keys stay as they are (a key id unique globally is unique per
organization): one registered by somebody without its private key can sign nothing, and no longer stops the
key's owner from registering it.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_invitation"),
        ("evidence", "0007_attachments_per_organization"),
    ]

    operations = [
        migrations.CreateModel(
            name="KeyChallengeUse",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("nonce", models.CharField(max_length=64, unique=True)),
                ("used_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
            ],
        ),
        migrations.AlterField(
            model_name="vendorkey",
            name="key_id",
            field=models.CharField(max_length=16),
        ),
        migrations.AddConstraint(
            model_name="vendorkey",
            constraint=models.UniqueConstraint(
                fields=("organization", "key_id"), name="vendorkey_once_per_organization"
            ),
        ),
        migrations.AddField(
            model_name="keychallengeuse",
            name="organization",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="accounts.organization"
            ),
        ),
    ]
