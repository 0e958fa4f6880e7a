"""The tools a user sees over MCP: their agents, and a knowledge search for each agent with documents.

Every active agent of the caller is a tool that runs it; every active agent
with indexed documents also gets a tool that searches them. Only the
caller's own agents, staff included: a tool runs *as* the caller, and a list
of everyone's agents would be a list nobody can pick from. Another user's
agent is therefore not a tool at all, and calling its name is calling an
unknown tool.

Naming rule (stable while the agent keeps its name, and valid for every MCP
client: ``[a-z0-9_]``, at most 64 characters, unique per user):

* run an agent: ``<slug>_<id8>``, where ``slug`` is the agent's name
  lowercased with its accents dropped, every run of characters other than
  ASCII letters and digits replaced by ``_``, cut to 40 characters (``agent`` when nothing is left),
  and ``id8`` the first 8 hex digits of the agent's id. "Daily report" with
  id ``3f2a9c41-...`` is ``daily_report_3f2a9c41``.
* search its documents: ``search_<slug>_<id8>``.

The id keeps two agents of the same name apart, and renaming an agent
renames its tool (clients list tools again anyway).
"""

import copy
import re
import unicodedata
from dataclasses import dataclass

from agents.models import Agent
from contract.runtimes import UnknownRuntime, get_entry
from knowledge.models import AgentDocument

RUN = "run"
SEARCH = "search"
SLUG_MAX_CHARS = 40
MAX_RESULTS = 50
_NOT_NAME_CHARS = re.compile(r"[^a-z0-9]+")

SEARCH_SCHEMA = {
    "type": "object",
    "properties": {
        "query": {"type": "string", "minLength": 1, "description": "What to look for, in plain words."},
        "k": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_RESULTS,
            "default": 4,
            "description": "How many passages to return.",
        },
    },
    "required": ["query"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class AgentTool:
    name: str
    kind: str  # RUN or SEARCH
    agent: Agent
    description: str
    input_schema: dict


def tool_base_name(agent):
    # Accents go ("Ü" is "U" and a combining mark); any other character apart from ASCII letters and digits separates.
    letters = "".join(char for char in unicodedata.normalize("NFKD", agent.name) if not unicodedata.combining(char))
    slug = _NOT_NAME_CHARS.sub("_", letters.lower()).strip("_")[:SLUG_MAX_CHARS].rstrip("_") or "agent"
    return f"{slug}_{agent.id.hex[:8]}"


def tools_of(user):
    """The caller's tools by name, in a stable order (two queries)."""
    agents = list(Agent.objects.filter(owner=user, status=Agent.Status.ACTIVE).order_by("name", "id"))
    searchable = set(
        AgentDocument.objects.filter(agent__in=agents, status=AgentDocument.Status.READY)
        .values_list("agent_id", flat=True)
        .distinct()
    )
    tools = {}
    for agent in agents:
        try:
            runtime = get_entry(agent.runtime)
        except UnknownRuntime:
            continue  # the agent server no longer has its runtime: it could not run
        base = tool_base_name(agent)
        tools[base] = AgentTool(base, RUN, agent, _run_description(agent, runtime), _object_schema(runtime))
        if agent.id in searchable:
            name = f"search_{base}"
            tools[name] = AgentTool(
                name,
                SEARCH,
                agent,
                f"Search the knowledge documents of the agent {agent.name!r} for the passages that best "
                "match a query, best first.",
                copy.deepcopy(SEARCH_SCHEMA),
            )
    return tools


def _run_description(agent, runtime):
    description = f"Run the agent {agent.name!r} ({runtime['name']}: {runtime['description']})"
    if agent.description:
        description += f" {agent.description}"
    return (
        description
        + " Each call is an execution on the platform, listed with the user's others; its progress arrives "
        "as progress notifications."
    )


def _object_schema(runtime):
    # MCP wants an object schema at the root; the catalog's input schemas are
    # objects, but some say so only through their keywords.
    return {"type": "object", **runtime["input_schema"]}
