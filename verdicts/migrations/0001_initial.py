"""Verdict moves here from evidence; its table (evidence_verdict) and rows stay as they are."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('evidence', '0005_log_append_only'),
        ('pacts', '0002_immutability_triggers'),
    ]

    operations = [
        # The tables already exist (created by evidence's migrations): move the models in Django's state only.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Verdict',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('clause_id', models.CharField(max_length=63)),
                        ('status', models.CharField(choices=[('met', 'Met'), ('breached', 'Breached'), ('stale', 'Stale'), ('insufficient_evidence', 'Insufficient evidence')], max_length=25)),
                        ('disputed', models.BooleanField(default=False)),
                        ('measured', models.FloatField(blank=True, null=True)),
                        ('threshold', models.FloatField()),
                        ('comparator', models.CharField(max_length=2)),
                        ('samples', models.PositiveBigIntegerField(default=0)),
                        ('min_samples', models.PositiveIntegerField()),
                        ('window_start', models.DateTimeField()),
                        ('window_end', models.DateTimeField()),
                        ('freshest_at', models.DateTimeField(blank=True, null=True)),
                        ('used_records', models.PositiveIntegerField(default=0)),
                        ('refused_records', models.PositiveIntegerField(default=0)),
                        ('refusals', models.JSONField(blank=True, default=list, help_text='[[reason, count], …] of the evidence that did not count.')),
                        ('note', models.CharField(blank=True, max_length=300)),
                        ('computed_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('is_current', models.BooleanField(default=True)),
                        ('agent', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='verdicts', to='pacts.agent')),
                        ('pact', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='verdicts', to='pacts.pact')),
                        ('pact_version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='verdicts', to='pacts.pactversion')),
                    ],
                    options={
                        'db_table': 'evidence_verdict',
                        'ordering': ['-computed_at', '-id'],
                        'indexes': [models.Index(fields=['agent', 'is_current'], name='verdict_agent_current'), models.Index(fields=['pact', 'clause_id', 'computed_at'], name='verdict_series')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('is_current', True)), fields=('pact', 'clause_id'), name='verdict_one_current_per_clause')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
