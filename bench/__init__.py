"""The event pipeline benchmark: agent server -> worker -> database + Redis -> AgentConsumer -> socket.

``python -m bench`` (``make bench``) starts the real processes, drives
``synthetic`` executions, reads them with real WebSocket clients, and reports
throughput, latency, concurrency and replay figures, all from one run, next
to the naive path (a commit and a core-layer group_send per event).
"""
