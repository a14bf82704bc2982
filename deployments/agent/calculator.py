"""Arithmetic for the agent, evaluated by walking the AST: no `eval`, no names, no calls.

Hand-written because the job is tiny and safety is the point: only numbers and + - * / ^ ( )
are accepted, and exponents and results are bounded, so `9**9**9` is refused instead of
freezing the replica.
"""

from __future__ import annotations

import ast
import math
import operator
import re

MAX_EXPONENT = 64
MAX_MAGNITUDE = 1e15
MAX_LENGTH = 200

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.Pow: operator.pow}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
# "040": Python's parser refuses a decimal literal with a leading zero, and the model then repeats
# the same expression until a guard stops it; the value is 40 however it is written
_LEADING_ZEROS = re.compile(r"(?<![\d.])0+(?=\d)")


class CalculatorError(ValueError):
    """A message the model can act on; it becomes the Observation."""


def evaluate(expression: str) -> float | int:
    """The value of ``expression`` (numbers, + - * / ^ ( ), decimals; `^` means power)."""
    text = _THOUSANDS.sub("", expression.strip().rstrip("=").strip()).replace("^", "**")
    text = _LEADING_ZEROS.sub("", text)
    if not text:
        raise CalculatorError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise CalculatorError(f"the expression is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise CalculatorError(f"'{expression.strip()}' is not an arithmetic expression; use numbers and + - * / ^ ( )") from None
    return _check(_walk(tree.body))


def format_number(value: float | int) -> str:
    """Integers without a decimal point; other values rounded to 6 decimals."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value) if isinstance(value, int) else f"{value:.6f}".rstrip("0").rstrip(".")


def _walk(node: ast.AST) -> float | int:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _walk(node.left), _walk(node.right)
        if isinstance(node.op, ast.Div) and right == 0:
            raise CalculatorError("division by zero")
        if isinstance(node.op, ast.Pow) and abs(right) > MAX_EXPONENT:
            raise CalculatorError(f"the exponent {format_number(right)} is too large (at most {MAX_EXPONENT})")
        if isinstance(node.op, ast.Pow) and left < 0 and not float(right).is_integer():
            raise CalculatorError("a negative number to a fractional power is not a real number")
        if isinstance(node.op, ast.Pow) and left == 0 and right < 0:
            raise CalculatorError("division by zero")
        return _check(_BINARY[type(node.op)](left, right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_walk(node.operand))
    raise CalculatorError("only numbers and + - * / ^ ( ) are allowed")


def _check(value: float | int) -> float | int:
    if isinstance(value, complex) or not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        raise CalculatorError(f"the result is too large (more than {MAX_MAGNITUDE:.0e})")
    return value
