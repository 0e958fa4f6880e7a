"""Who may change what.

Owners may do anything with their own agents, executions and documents.
Staff see everyone's (the selectors' rule), but changing another user's
object - editing or deleting an agent, starting or stopping its runs, answering their questions,
adding or deleting its documents, writing in its threads - takes the Django model permission for
that change, as in the admin (superusers have them all). Every entry point
(REST, the sockets) asks ``check_may_change`` before it calls a service.
"""

from contract.errors import PlatformError

EDIT_AGENT = "agents.change_agent"
DELETE_AGENT = "agents.delete_agent"
START_EXECUTION = "runs.add_agentexecution"
STOP_EXECUTION = "runs.change_agentexecution"
ANSWER_INTERRUPT = "runs.change_interrupt"
ADD_DOCUMENT = "knowledge.add_agentdocument"
DELETE_DOCUMENT = "knowledge.delete_agentdocument"
EDIT_THREAD = "threads.change_thread"
DELETE_THREAD = "threads.delete_thread"
POST_MESSAGE = "threads.add_message"
EDIT_ROOM = "rooms.change_room"
DELETE_ROOM = "rooms.delete_room"


class PermissionDenied(PlatformError):
    code = "permission_denied"
    status = 403


def check_may_change(user, owner_id, permission):
    """Raise ``PermissionDenied`` unless ``user`` owns the object or holds ``permission``."""
    if owner_id == user.pk or user.has_perm(permission):
        return
    raise PermissionDenied(
        f"You may see this, but changing another user's object needs the {permission!r} permission."
    )
