"""Knowledge documents: stored here (the source of truth), indexed on the agent server by workers."""

from django.db import transaction

from .models import AgentDocument


def add_document(agent, filename, content_type, content):
    """Store a document and index it on the agent server once committed."""
    from .tasks import index_document

    with transaction.atomic():
        document = AgentDocument.objects.create(
            agent=agent, filename=filename, content_type=content_type, size=len(content), content=content
        )
        index_document.delay_on_commit(str(document.id))
    return document


def forget_documents(agent):
    """Drop an agent's documents from the agent server's index once the deletion commits.

    Call it inside the transaction that deletes the agent (the rows go with it).
    """
    from .tasks import unindex_document

    agent_id = str(agent.id)
    for document_id in agent.documents.values_list("id", flat=True):
        unindex_document.delay_on_commit(agent_id, str(document_id))


def delete_document(document):
    """Delete a document; the agent server drops it from retrieval after commit."""
    from .tasks import unindex_document

    agent_id, document_id = str(document.agent_id), str(document.id)  # delete() clears the pk
    with transaction.atomic():
        document.delete()
        unindex_document.delay_on_commit(agent_id, document_id)


def reindex_documents(agent_ids=None):
    """Queue every stored document (of these agents, or all) for indexing again; returns how many.

    For an agent server whose index was lost or moved: the database holds
    every document, so the index can always be rebuilt from it.
    """
    from .tasks import index_document

    documents = AgentDocument.objects.all()
    if agent_ids:
        documents = documents.filter(agent_id__in=agent_ids)
    with transaction.atomic():
        ids = [str(document_id) for document_id in documents.values_list("id", flat=True)]
        AgentDocument.objects.filter(id__in=ids).update(status=AgentDocument.Status.PENDING, error_message="")
        for document_id in ids:
            index_document.delay_on_commit(document_id)
    return len(ids)


def index_document(document_id, final_attempt=True):
    """Index a stored document on the agent server and record how it went.

    Safe to run twice: the agent server replaces a document it already has,
    and one it is indexing at that moment it does not read again. A
    document it refuses (4xx: too large, too many pages, too slow to read,
    malformed...) fails for good, with the server's message. When the agent
    server is unavailable and this is not the final attempt, the document
    goes back to pending and AgentServerUnavailable is raised for the caller
    to retry; after the final one it fails too, and is dropped from the
    index in case an earlier attempt got there after all. Runs on a worker
    (it calls the agent server).
    """
    from runs.worker import client

    from .tasks import unindex_document

    claimed = AgentDocument.objects.filter(id=document_id).exclude(status=AgentDocument.Status.READY).update(
        status=AgentDocument.Status.INDEXING, error_message=""
    )
    if not claimed:
        return None
    document = AgentDocument.objects.get(id=document_id)
    try:
        chunks = client.index_document(document)
    except client.AgentServerError as error:
        retry = isinstance(error, client.AgentServerUnavailable) and not final_attempt
        AgentDocument.objects.filter(id=document_id).update(
            status=AgentDocument.Status.PENDING if retry else AgentDocument.Status.FAILED,
            error_message=error.message,
        )
        if retry:
            raise
        if isinstance(error, client.AgentServerUnavailable):
            # A refusal leaves nothing in the index (the agent server sees to that); an attempt
            # whose answer was lost might have, and a failed document must not be found.
            unindex_document.delay(str(document.agent_id), str(document.id))
        return None
    AgentDocument.objects.filter(id=document_id).update(status=AgentDocument.Status.READY, chunks=chunks)
    return chunks
