"""The AgentDocument model, taken over from the agents app with their tables and rows.

The tables already exist (created by agents' migrations, and renamed by none),
so this only tells Django's model state that knowledge owns them now; the
content types move along, so admin history and permissions follow.
"""

import uuid

import django.db.models.deletion
from django.db import migrations, models

MODELS = ['agentdocument']


def take_over_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="agents", model__in=MODELS).update(app_label="knowledge")


def give_back_content_types(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="knowledge", model__in=MODELS).update(app_label="agents")


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
                    name='AgentDocument',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('filename', models.CharField(max_length=255)),
                        ('content_type', models.CharField(max_length=100)),
                        ('size', models.PositiveIntegerField()),
                        ('content', models.BinaryField()),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('indexing', 'Indexing'), ('ready', 'Ready'), ('failed', 'Failed')], default='pending', max_length=16)),
                        ('error_message', models.TextField(blank=True)),
                        ('chunks', models.PositiveIntegerField(default=0, help_text='Passages indexed from this document.')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('agent', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='documents', to='agents.agent')),
                    ],
                    options={
                        'db_table': 'agents_agentdocument',
                        'ordering': ['-created_at'],
                        'indexes': [models.Index(fields=['agent', '-created_at'], name='agents_agen_agent_i_b29959_idx')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(take_over_content_types, give_back_content_types),
    ]
