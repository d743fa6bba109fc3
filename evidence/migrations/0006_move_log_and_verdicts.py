"""The log's models now belong to transparency and Verdict to verdicts: forget them here, keep the tables."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('verdicts', '0001_initial'),
        ('transparency', '0001_initial'),
        ('evidence', '0005_log_append_only'),
    ]

    operations = [
        # The tables already exist (created by evidence's migrations): move the models in Django's state only.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='logcheckpoint',
                    name='key',
                ),
                migrations.DeleteModel(
                    name='LogLeaf',
                ),
                migrations.DeleteModel(
                    name='LogNode',
                ),
                migrations.DeleteModel(
                    name='LogState',
                ),
                migrations.RemoveField(
                    model_name='verdict',
                    name='agent',
                ),
                migrations.RemoveField(
                    model_name='verdict',
                    name='pact',
                ),
                migrations.RemoveField(
                    model_name='verdict',
                    name='pact_version',
                ),
                migrations.DeleteModel(
                    name='LogCheckpoint',
                ),
                migrations.DeleteModel(
                    name='LogKey',
                ),
                migrations.DeleteModel(
                    name='Verdict',
                ),
            ],
            database_operations=[],
        ),
    ]
