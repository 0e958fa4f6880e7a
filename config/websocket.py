"""The WebSocket origin check, and the cost of daphne's frames."""

import autobahn.util
from channels.security.websocket import OriginValidator
from django.conf import settings


def plain_autobahn_log_arguments():
    """Make autobahn build the arguments of its log calls as plain text.

    daphne's WebSocket frames are autobahn's, which logs every frame it sends
    at debug level and builds that call's arguments first, whether or not
    debug is on: with click installed (Celery needs it) each is colored
    through ``click.style``. That was two fifths of the api's time sending a
    replay. Uncolored they are the same text, a small part of the cost, and
    no log line the api writes changes (it never logs autobahn's debug).
    """
    autobahn.util._HAS_CLICK = False


class BrowserOriginValidator(OriginValidator):
    """Checks the Origin of browser connections against ALLOWED_HOSTS.

    Cross-site WebSocket hijacking needs a browser, and browsers always send
    Origin, so a foreign Origin is refused. A connection without one is a
    program (a CLI, a service using token auth): it carries no other site's
    cookies, so there is nothing to protect it from, and it is let through;
    the consumer still demands authentication.
    """

    def __init__(self, application):
        super().__init__(application, settings.ALLOWED_HOSTS)

    def valid_origin(self, parsed_origin):
        return parsed_origin is None or super().valid_origin(parsed_origin)
