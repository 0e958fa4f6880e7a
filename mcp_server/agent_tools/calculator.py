"""``calculator``: arithmetic on numbers, evaluated by walking Python's AST (never ``eval``).

Only number literals, ``+ - * / // % **``, unary signs, parentheses, the
constants ``pi`` and ``e`` and a few ``math`` functions are allowed; any other
syntax (names, attributes, calls of anything else, strings) is refused.
Sizes are bounded so a prompt cannot make the server compute ``9**9**9``.
"""

from __future__ import annotations

import ast
import math
import operator
from typing import Any

from mcp_server.agent_tools.base import AgentTool, ToolContext, ToolError, ToolExample

MAX_EXPRESSION_CHARS = 300
MAX_EXPONENT = 1000
MAX_RESULT_DIGITS = 1000

_BINARY = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_CONSTANTS = {"pi": math.pi, "e": math.e}
_FUNCTIONS = {
    "abs": abs, "round": round, "min": min, "max": max, "sqrt": math.sqrt, "log": math.log,
    "log10": math.log10, "exp": math.exp, "sin": math.sin, "cos": math.cos, "tan": math.tan,
    "floor": math.floor, "ceil": math.ceil,
}


def evaluate(expression: str) -> int | float:
    """The value of an arithmetic expression, or ``ToolError``."""
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise ToolError(f"The expression is longer than {MAX_EXPRESSION_CHARS} characters.")
    # People (and models) write ^ for powers and x or × for products.
    normalized = expression.replace("^", "**").replace("×", "*").replace("÷", "/")
    try:
        tree = ast.parse(normalized.strip(), mode="eval")
    except SyntaxError:
        raise ToolError(f"{expression!r} is not an arithmetic expression.") from None
    try:
        value = _value(tree.body)
    except ZeroDivisionError:
        raise ToolError("Division by zero.") from None
    except (OverflowError, ValueError, TypeError) as error:
        raise ToolError(f"Cannot compute that: {error}.") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ToolError("The result is not a finite number.")
    return value


def _value(node: ast.AST) -> int | float:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.Name) and node.id in _CONSTANTS:
        return _CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_value(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _value(node.left), _value(node.right)
        if isinstance(node.op, ast.Pow):
            _check_power(left, right)
        result = _BINARY[type(node.op)](left, right)
        if isinstance(result, complex):
            raise ToolError("The result is not a real number.")
        if isinstance(result, int) and abs(result).bit_length() > MAX_RESULT_DIGITS * 3.33:
            raise ToolError(f"The result has more than {MAX_RESULT_DIGITS} digits.")
        return result
    if (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS
        and not node.keywords and 1 <= len(node.args) <= 5
    ):
        return _FUNCTIONS[node.func.id](*(_value(argument) for argument in node.args))
    raise ToolError(f"Unsupported element in the expression: {ast.unparse(node)!r}.")


def _check_power(base: float, exponent: float) -> None:
    if abs(exponent) > MAX_EXPONENT:
        raise ToolError(f"Exponents are limited to {MAX_EXPONENT}.")
    exact = isinstance(base, int) and isinstance(exponent, int)
    if exact and exponent > 0 and abs(base) > 1 and exponent * math.log10(abs(base)) > MAX_RESULT_DIGITS:
        raise ToolError(f"The result has more than {MAX_RESULT_DIGITS} digits.")


class Calculator(AgentTool):
    name = "calculator"
    description = "Evaluate an arithmetic expression exactly, e.g. '(12 + 30) * 1.5' or 'sqrt(2) ^ 10'."
    parameters = {
        "type": "object",
        "properties": {"expression": {"type": "string", "maxLength": MAX_EXPRESSION_CHARS,
                                      "description": "The arithmetic expression to evaluate."}},
        "required": ["expression"],
        "additionalProperties": False,
    }
    examples = tuple(
        ToolExample(request, {"expression": expression}, {"expression": expression, "result": result},
                    f"The answer is {result}.")
        for request, expression, result in (
            ("How much is 3 times 4 plus 5?", "3 * 4 + 5", 17),
            ("What is 12 divided by 4?", "12 / 4", 3),
            ("What is the square root of 81?", "sqrt(81)", 9),
            ("What is 2 to the power of 8?", "2 ** 8", 256),
            ("Add 10, 20 and 30.", "10 + 20 + 30", 60),
            ("Subtract 7 from 50.", "50 - 7", 43),
            ("What is 9 squared?", "9 ** 2", 81),
            ("Calculate (2 + 3) * 4.", "(2 + 3) * 4", 20),
            ("What is 6 * 5 - 2?", "6 * 5 - 2", 28),
        )
    )

    async def call(self, arguments: dict[str, Any], context: ToolContext) -> Any:
        return {"expression": arguments["expression"], "result": evaluate(arguments["expression"])}

    def answer_facts(self, result: Any) -> list[str]:
        value = result.get("result") if isinstance(result, dict) else None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return [str(value)] if isinstance(value, (int, float)) and not isinstance(value, bool) else []
