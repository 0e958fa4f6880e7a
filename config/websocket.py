"""The WebSocket origin check."""

from channels.security.websocket import OriginValidator
from django.conf import settings


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
