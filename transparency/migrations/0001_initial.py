"""The log's models move here from evidence; their tables (evidence_log*) and rows stay as they are."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('evidence', '0005_log_append_only'),
    ]

    operations = [
        # The tables already exist (created by evidence's migrations): move the models in Django's state only.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='LogLeaf',
                    fields=[
                        ('index', models.BigIntegerField(primary_key=True, serialize=False)),
                        ('leaf_hash', models.BinaryField(max_length=32)),
                    ],
                    options={
                        'db_table': 'evidence_logleaf',
                    },
                ),
                migrations.CreateModel(
                    name='LogState',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('size', models.BigIntegerField(default=0)),
                    ],
                    options={
                        'db_table': 'evidence_logstate',
                    },
                ),
                migrations.CreateModel(
                    name='LogKey',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=200)),
                        ('key_id', models.CharField(help_text='Hex of the signed-note key id.', max_length=8)),
                        ('public_pem', models.TextField()),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                    ],
                    options={
                        'db_table': 'evidence_logkey',
                        'constraints': [models.UniqueConstraint(fields=('name', 'key_id'), name='logkey_unique')],
                    },
                ),
                migrations.CreateModel(
                    name='LogCheckpoint',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('size', models.BigIntegerField(unique=True)),
                        ('root_hash', models.BinaryField(max_length=32)),
                        ('note', models.TextField()),
                        ('signed_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('key', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='checkpoints', to='transparency.logkey')),
                    ],
                    options={
                        'db_table': 'evidence_logcheckpoint',
                        'ordering': ['-size'],
                    },
                ),
                migrations.CreateModel(
                    name='LogNode',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('level', models.PositiveSmallIntegerField()),
                        ('index', models.BigIntegerField()),
                        ('hash', models.BinaryField(max_length=32)),
                    ],
                    options={
                        'db_table': 'evidence_lognode',
                        'constraints': [models.UniqueConstraint(fields=('level', 'index'), name='lognode_unique_position')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
