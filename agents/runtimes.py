"""The api's view of the runtime catalog: names, schemas, and the one check of an agent's config.

The catalog is ``contract/runtimes.json``, exported by the agent server (which
owns the runtimes) and read through ``contract.runtimes``: the api validates
agents without importing the agent server or calling it over the network.
"""

from config.limits import MAX_CONFIG_BYTES, json_value_error
from contract import runtimes as catalog
from contract.config import ConfigError


def runtime_catalog():
    """Every runtime as {name, description, config_schema, input_schema, input_example}."""
    return catalog.runtime_catalog()


def runtime_names():
    return catalog.runtime_names()


def agent_config_errors(runtime_name, config):
    """Field errors of an agent's runtime and config, ``{}`` when it can run: ``{field: [message]}``,
    with the config's errors keyed by option (``{"config": {"steps": [...]}}``)."""
    # First the size: a config nested a thousand deep would break every page showing it.
    too_big = json_value_error(config, MAX_CONFIG_BYTES)
    if too_big:
        return {"config": [too_big]}
    try:
        catalog.check_config(runtime_name, config)
    except catalog.UnknownRuntime:
        return {"runtime": [f"Unknown runtime. Choose one of: {', '.join(runtime_names())}."]}
    except ConfigError as error:
        fields = error.fields or {"": error.message}
        return {"config": {path or "non_field_errors": [message] for path, message in fields.items()}}
    return {}
