"""Model behaviour shared by the apps."""

from django.db import models


class CountedModel(models.Model):
    """A row with counters that concurrent writers move with ``F()`` updates (a log's ``last_seq``...).

    A whole-row ``save()`` of an instance read a moment ago (an admin form, a
    serializer's update) would write back the counters as they were then,
    undoing what another transaction added since: the next seq or turn would
    be handed out twice. Such a save therefore writes every column but the
    counters; those change only through their ``F()`` updates or a save that
    names them in ``update_fields``.
    """

    counters = ()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in self.counters
            ]
        super().save(*args, **kwargs)
