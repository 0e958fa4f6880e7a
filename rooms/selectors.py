"""Reads of rooms: whose they are."""

from .models import Room


def rooms_visible_to(user):
    """A user sees their own rooms; staff see everyone's."""
    rooms = Room.objects.prefetch_related("seats__agent")
    return rooms if user.is_staff else rooms.filter(owner=user)
