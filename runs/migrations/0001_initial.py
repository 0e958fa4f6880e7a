"""The AgentExecution and AgentEvent models, taken over from the agents app with their tables and rows.

The tables already exist (created by agents' migrations, and renamed by none),
so this only tells Django's model state that runs owns them now; the
content types move along, so admin history and permissions follow.
"""

import uuid

import django.db.models.deletion
from django.db import migrations, models

MODELS = ['agentexecution', 'agentevent']


def take_over_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="agents", model__in=MODELS).update(app_label="runs")


def give_back_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="runs", model__in=MODELS).update(app_label="agents")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('agents', '0004_move_runs_and_knowledge'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AgentExecution',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('running', 'Running'), ('completed', 'Completed'), ('failed', 'Failed'), ('stopped', 'Stopped')], default='pending', max_length=16)),
                        ('input_data', models.JSONField(blank=True, default=dict)),
                        ('output_data', models.JSONField(blank=True, null=True)),
                        ('error_message', models.TextField(blank=True)),
                        ('error_code', models.CharField(blank=True, max_length=64)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('started_at', models.DateTimeField(blank=True, null=True)),
                        ('completed_at', models.DateTimeField(blank=True, null=True)),
                        ('last_seq', models.PositiveIntegerField(default=0)),
                        ('stop_requested_at', models.DateTimeField(blank=True, null=True)),
                        ('lease_expires_at', models.DateTimeField(blank=True, null=True)),
                        ('worker', models.CharField(blank=True, help_text='host:pid of the worker that claimed it.', max_length=255)),
                        ('agent', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='executions', to='agents.agent')),
                    ],
                    options={
                        'db_table': 'agents_agentexecution',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='AgentEvent',
                    fields=[
                        ('id', models.BigAutoField(primary_key=True, serialize=False)),
                        ('seq', models.PositiveIntegerField()),
                        ('event_type', models.CharField(max_length=32)),
                        ('content', models.JSONField(default=dict)),
                        ('timestamp', models.DateTimeField()),
                        ('execution', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='events', to='runs.agentexecution')),
                    ],
                    options={
                        'db_table': 'agents_agentevent',
                        'ordering': ['execution', 'seq'],
                    },
                ),
                migrations.AddIndex(
                    model_name='agentexecution',
                    index=models.Index(fields=['agent', '-created_at'], name='agents_agen_agent_i_145890_idx'),
                ),
                migrations.AddIndex(
                    model_name='agentexecution',
                    index=models.Index(fields=['status', 'lease_expires_at'], name='execution_lease_idx'),
                ),
                migrations.AddIndex(
                    model_name='agentexecution',
                    index=models.Index(fields=['status', 'created_at'], name='execution_status_created_idx'),
                ),
                migrations.AddConstraint(
                    model_name='agentevent',
                    constraint=models.UniqueConstraint(fields=('execution', 'seq'), name='event_unique_seq'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(take_over_content_types, give_back_content_types),
    ]
