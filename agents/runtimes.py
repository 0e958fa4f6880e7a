"""The api's view of the agent server's runtimes: their names, descriptions and config schemas.

The schemas live with the runtimes in the ``mcp_server`` package and are
plain data, so the api validates an agent's config at create/update time
without a network call to the agent server (the api must never block on it).
"""

import inspect

from mcp_server.runtimes import ConfigError, UnknownRuntime, get_runtime, runtime_names


class InvalidConfig(ValueError):
    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


def runtime_catalog():
    """Every runtime as {name, description, config_schema}, for clients building forms."""
    catalog = []
    for name in runtime_names():
        runtime = get_runtime(name)
        description = getattr(runtime, "description", None) or (inspect.getdoc(runtime) or "").split("\n\n")[0]
        catalog.append({"name": name, "description": description, "config_schema": runtime.config_schema})
    return catalog


def check_agent_config(runtime_name, config):
    """Validate an agent's config for its runtime; raises InvalidConfig with field errors."""
    try:
        get_runtime(runtime_name).check_config(config)
    except UnknownRuntime:
        raise InvalidConfig({"runtime": [f"Unknown runtime. Choose one of: {', '.join(runtime_names())}."]}) from None
    except ConfigError as error:
        fields = error.fields or {"": error.message}
        raise InvalidConfig({"config": {path or "non_field_errors": [message] for path, message in fields.items()}}) from None
