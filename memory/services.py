"""Writing a user's long-term memory: from REST, or from a run of one of the user's agents.

This module is the only writer of ``MemoryItem``: a run's write is an
upsert of (owner, namespace, key); a REST create is refused when the key is
taken (the database's constraint decides). An item's embedding is computed
after commit by a task (``memory.tasks.embed_item``) on a worker, which asks
the agent server's embedder, so a write never waits on the agent server; a
search embeds any item the task has not reached yet (``memory.selectors``).
"""

import logging
from functools import partial

from django.db import IntegrityError, transaction

from .models import MemoryItem

logger = logging.getLogger(__name__)


def write_item(owner_id, namespace, key, value, execution_id=None):
    """Store ``value`` under (``namespace``, ``key``) for the owner, replacing what was there; returns the item."""
    fields = {"owner_id": owner_id, "namespace": namespace, "key": key}
    changes = {"value": value, "written_by_execution_id": execution_id}
    try:
        with transaction.atomic():
            item, _created = MemoryItem.objects.update_or_create(**fields, defaults=changes)
    except IntegrityError:
        # Another write of the same key inserted it first: this one replaces it.
        item, _created = MemoryItem.objects.update_or_create(**fields, defaults=changes)
    transaction.on_commit(partial(_embed_later, item.id))
    return item


class KeyTaken(Exception):
    """The owner has an item with this key in this namespace already."""


def create_item(owner_id, namespace, key, value):
    """A new item; ``KeyTaken`` if the key is in use (the database's constraint decides, not a read)."""
    try:
        with transaction.atomic():
            item = MemoryItem.objects.create(owner_id=owner_id, namespace=namespace, key=key, value=value)
    except IntegrityError:
        raise KeyTaken(
            "You have an item with this key in this namespace already: change its value instead (PATCH)."
        ) from None
    transaction.on_commit(partial(_embed_later, item.id))
    return item


def update_item(item, value):
    item.value = value
    item.save(update_fields=["value", "updated_at"])
    transaction.on_commit(partial(_embed_later, item.id))
    return item


def delete_item(item):
    item.delete()


def write_from_run(execution_id, owner_id, content):
    """A ``memory`` event a run of the owner's agent stored: the item it names is written too."""
    write_item(owner_id, content["namespace"], content["key"], content["value"], execution_id=execution_id)


def _embed_later(item_id):
    from .tasks import embed_item

    try:
        embed_item.delay(str(item_id))
    except Exception as exc:
        # Search finds it by its words meanwhile; the next write embeds it.
        logger.warning("Could not send the embedding task of memory item %s (%r)", item_id, exc)


def embed_item(item_id):
    """Compute the item's embedding (safe to run twice, and after any later write: it embeds what is stored)."""
    from runs import agent_server

    item = MemoryItem.objects.filter(id=item_id).first()
    if item is None:
        return
    text = item.text()
    if item.embedded_text == text and item.embedding:
        return
    (vector,) = agent_server.embed([text])
    keep_embedding(item, text, vector)


def keep_embedding(item, text, vector):
    """Store the embedding of ``text``, with it: search uses it only while that is still the item's text."""
    item.embedding, item.embedded_text = vector, text
    MemoryItem.objects.filter(id=item.id).update(embedding=vector, embedded_text=text)
