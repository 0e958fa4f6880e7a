"""What the platform and the agent server agree on, importable by both.

Both sides import this package, so it depends on nothing of either: only the
standard library and ``jsonschema``, never Django, never Starlette, never
``mcp_server``. Its modules:

``events``    the event vocabulary: lifecycle, agent and terminal types, the
              fields each agent event carries, and their check
``errors``    ``PlatformError``, the one error every transport maps to its answer
``config``    validating untrusted JSON against a JSON schema, in plain words
``runtimes``  the runtime catalog exported by the agent server
              (``runtimes.json``): names, config and input schemas, checks;
              where an LLM runtime's input carries its message
``interrupts`` the kinds of interrupt and the check of their answers
``memory``    a long-term memory item as text (for search and prompts)

This file imports nothing, so ``import contract.events`` stays stdlib-only.
"""
