"""``manage.py reindex_documents [--agent ID ...]``: rebuild the agent server's index from the database.

The database holds every document; the agent server's index is derived from
it. After the index was lost (a new volume, a moved agent server), this
queues every document, or those of the given agents, for indexing again; a
worker sends each to the agent server and records how it went.
"""

import uuid

from django.core.management.base import BaseCommand, CommandError

from knowledge.services import reindex_documents


class Command(BaseCommand):
    help = "Queue every stored knowledge document (or those of some agents) for indexing on the agent server."

    def add_arguments(self, parser):
        parser.add_argument("--agent", action="append", default=[], metavar="ID", help="Only this agent's documents.")

    def handle(self, *args, agent, **options):
        try:
            agent_ids = [uuid.UUID(value) for value in agent]
        except ValueError as error:
            raise CommandError(f"--agent takes an agent id: {error}") from None
        queued = reindex_documents(agent_ids or None)
        self.stdout.write(f"Queued {queued} document(s) for indexing; a worker indexes them.")
