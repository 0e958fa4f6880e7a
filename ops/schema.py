def exclude_metrics(endpoints):
    """/metrics speaks Prometheus's text format, not the REST API, and is not in its document.

    A hook rather than only ``extend_schema(exclude=True)``: the document's
    path prefix (and so every operation's tag) is worked out from the
    endpoints left after the hooks, and one outside /api/ would make it "/".
    """
    return [endpoint for endpoint in endpoints if endpoint[0] != "/metrics"]
