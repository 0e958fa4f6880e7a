"""Executions, events and documents move to the runs and knowledge apps.

Only Django's idea of which app owns them changes: the tables keep their
names and rows (``runs`` and ``knowledge`` take them over in their first
migrations), so nothing in the database is touched here.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("agents", "0003_event_execution_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="AgentEvent"),
                migrations.DeleteModel(name="AgentExecution"),
                migrations.DeleteModel(name="AgentDocument"),
            ],
            database_operations=[],
        ),
    ]
