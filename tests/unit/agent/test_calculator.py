import pytest

from deployments.agent.calculator import CalculatorError, evaluate, format_number
from deployments.agent.tools import CalculatorTool, run_tool


@pytest.mark.parametrize("expression, expected", [
    ("1 + 2 * 3", "7"), ("(120 - 45) * 2", "150"), ("2 ^ 10", "1024"), ("7 / 2", "3.5"),
    ("-3 + 5", "2"), ("1,200 + 5", "1205"), ("0.1 + 0.2", "0.3"), ("96 * 1.5 =", "144"),
])
def test_arithmetic(expression, expected):
    assert format_number(evaluate(expression)) == expected


@pytest.mark.parametrize("expression, message", [
    ("__import__('os')", "only numbers"),
    ("9**9**9", "exponent 387420489 is too large"),
    ("10^15 * 10", "result is too large"),
    ("1e300 * 1e300", "result is too large"),
    ("abs(-1)", "only numbers"),
    ("x + 1", "only numbers"),
    ("1 +", "not an arithmetic expression"),
    ("", "empty"),
])
def test_refused(expression, message):
    with pytest.raises(CalculatorError, match=message):
        evaluate(expression)


def test_division_by_zero_is_an_observation_not_an_exception():
    import asyncio

    tools = {"calculator": CalculatorTool()}
    observation = asyncio.run(run_tool(tools, "calculator", "5 / (3 - 3)"))
    assert observation.startswith("Error: division by zero")
    assert "e.g. (120 - 45) * 2" in observation  # the input format tells the model how to retry


def test_import_attempt_is_an_observation():
    import asyncio

    observation = asyncio.run(run_tool({"calculator": CalculatorTool()}, "calculator", "__import__('os').system('ls')"))
    assert observation.startswith("Error: only numbers and + - * / ^ ( ) are allowed")


def test_a_leading_zero_is_the_same_number_not_a_syntax_error() -> None:
    # "040" once made Python's parser refuse the expression, and the model repeated it until a guard stopped it
    from deployments.agent.calculator import evaluate

    assert evaluate("040 + 2") == 42 and evaluate("0.5 * 008") == 4 and evaluate("100 - 0") == 100
