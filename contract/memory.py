"""Long-term memory items as text: what search compares and what a model is shown.

One function for the platform (its search over stored items) and the agent
server (the prompt, and ``recall`` over a run's items), so both read an
item the same way.
"""

from __future__ import annotations

import json
from typing import Any


def item_text(key: str, value: Any) -> str:
    """``"key: value"``, the value as it is when text, as compact JSON otherwise."""
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return f"{key}: {value}"
