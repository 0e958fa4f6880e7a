"""MCP agent server: runs agents and streams their events over HTTP.

A separate process from the Django api and the Celery worker; it never touches
Django or a database. Start it with ``python -m mcp_server``. Layout:

* ``settings``  - configuration from ``MCP_*`` environment variables;
* ``app``       - the Starlette application (routes, auth, admission of runs);
* ``protocol``  - the ``POST /execute`` request and its validation;
* ``runs``      - supervision of one run (terminal event, logging, counting);
* ``responses`` - SSE and JSON transports of a run, with cancellation;
* ``events``    - the event vocabulary runtimes use;
* ``runtimes``  - the runtime contract and the registry of runtimes
                  (``synthetic``, ``chat``, ``rag``, ``tools``);
* ``providers`` - LLM providers behind one contract (``local``, ``openai``);
* ``agent_tools`` - the tools the ``tools`` runtime may call;
* ``knowledge`` - each agent's document index (SQLite, embeddings, BM25);
* ``knowledge_api`` - its HTTP endpoints;
* ``services``  - providers and knowledge base, handed to every run.
"""
