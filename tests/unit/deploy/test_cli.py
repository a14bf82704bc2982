"""The `medici` command: each subcommand reaches its module's `main(argv)` with the rest of the
arguments, help and usage errors come from argparse, and exit codes pass through."""

from __future__ import annotations

import importlib
import inspect

import pytest

from cli import settings_doc
from cli.__main__ import COMMANDS, main


@pytest.mark.parametrize("group,leaf", [(g, leaf) for g, (_, leaves) in COMMANDS.items() for leaf in leaves])
def test_every_command_has_a_main_taking_argv(group: str, leaf: str) -> None:
    target = importlib.import_module(COMMANDS[group][1][leaf].module).main
    assert list(inspect.signature(target).parameters) == ["argv"]


def test_arguments_after_the_command_reach_its_module(capsys) -> None:
    assert main(["deploy", "render", "--check"]) == 0
    assert "embeds" in capsys.readouterr().out
    assert main(["docs", "settings"]) == 0
    assert capsys.readouterr().out == settings_doc.render()


def test_a_command_prints_its_own_help_under_the_medici_name(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["topics", "batch", "--help"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("usage: medici topics batch ")


@pytest.mark.parametrize("argv", [[], ["topics"], ["deploy", "ship"], ["nope"]])
def test_an_incomplete_or_unknown_command_is_a_usage_error(argv: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "usage: medici" in capsys.readouterr().err
