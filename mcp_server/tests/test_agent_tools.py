"""The built-in agent tools: a safe calculator and the clock."""

from datetime import datetime

import pytest

from mcp_server.agent_tools import AGENT_TOOLS, ToolContext, ToolError
from mcp_server.agent_tools.calculator import evaluate

CONTEXT = ToolContext(agent_id="a", services=None)


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("2 ^ 10", 1024),
        ("7 / 2", 3.5),
        ("7 // 2", 3),
        ("-3 % 5", 2),
        ("sqrt(16) + abs(-2)", 6.0),
        ("round(pi, 2)", 3.14),
        ("max(3, 9, 4)", 9),
        ("12 × 7", 84),
    ],
)
def test_the_calculator_does_arithmetic(expression, value):
    assert evaluate(expression) == value


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os').system('id')", "Unsupported element in the expression: \"__import__('os').system('id')\"."),
        ("open('/etc/passwd')", "Unsupported element in the expression: \"open('/etc/passwd')\"."),
        ("(1).__class__", "Unsupported element in the expression: '1 .__class__'."),
        ("'a' * 3", "Unsupported element in the expression: \"'a'\"."),
        ("x + 1", "Unsupported element in the expression: 'x'."),
        ("[1, 2]", "Unsupported element in the expression: '[1, 2]'."),
        ("lambda: 1", "Unsupported element in the expression: 'lambda: 1'."),
        ("1 / 0", "Division by zero."),
        ("9 ** 9 ** 9", "Exponents are limited to 1000."),
        ("10 ** 999 * 10 ** 999", "The result has more than 1000 digits."),
        ("(-8) ** 0.5", "The result is not a real number."),
        ("2 +", "'2 +' is not an arithmetic expression."),
    ],
)
def test_the_calculator_refuses_anything_but_bounded_arithmetic(expression, message):
    with pytest.raises(ToolError) as failure:
        evaluate(expression)

    assert str(failure.value) == message


async def test_the_calculator_tool_checks_its_arguments():
    calculator = AGENT_TOOLS["calculator"]

    with pytest.raises(ToolError) as failure:
        calculator.check_arguments({"expr": "1+1"})

    assert "'expression' is a required property" in str(failure.value)
    assert await calculator.call({"expression": "6*7"}, CONTEXT) == {"expression": "6*7", "result": 42}


async def test_the_clock_tells_the_time_in_a_time_zone():
    result = await AGENT_TOOLS["current_time"].call({"timezone": "Asia/Tokyo"}, CONTEXT)

    moment = datetime.fromisoformat(result["datetime"])
    assert moment.utcoffset().total_seconds() == 9 * 3600
    assert result["weekday"] == moment.strftime("%A")


async def test_the_clock_takes_a_loosely_spelled_zone_for_the_one_it_names():
    for asked in ("America/New-York", "america/new york", "AMERICA/NEW_YORK"):
        result = await AGENT_TOOLS["current_time"].call({"timezone": asked}, CONTEXT)
        assert result["timezone"] == "America/New_York"


async def test_the_clock_refuses_an_unknown_time_zone():
    with pytest.raises(ToolError, match="Unknown time zone 'Mars/Olympus'"):
        await AGENT_TOOLS["current_time"].call({"timezone": "Mars/Olympus"}, CONTEXT)
