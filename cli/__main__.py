"""`medici`: the command line for the people who run Medici.

    medici deploy pin|preflight|render     ship a pinned version (cli/deploy/)
    medici topics batch|experiment         topic detection over a corpus; prompts x models x temperatures
    medici eval agent|topics               the agent's QA accuracy; the topic pipeline against BERTopic
    medici docs settings                   the settings table of docs/settings.md, from AppArgs

Each subcommand hands the rest of its arguments to the module that implements it, so
`medici topics batch --help` is that module's own help, and `python -m cli.topics_batch ...` is
the same command. The commands are looked up lazily: `medici --help` imports neither Ray nor torch.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Command:
    """A leaf command: where its `main(argv)` lives and a one-line help."""

    help: str
    module: str
    prefix: tuple[str, ...] = ()  # arguments put before the user's (the deploy module's own subcommand)

    def run(self, name: str, argv: list[str]) -> Any:
        main: Callable[[list[str]], Any] = importlib.import_module(self.module).main
        program, sys.argv[0] = sys.argv[0], name  # argparse's default `prog`, for the command's own help
        try:
            result = main([*self.prefix, *argv])
            return asyncio.run(result) if asyncio.iscoroutine(result) else result
        finally:
            sys.argv[0] = program


COMMANDS: dict[str, tuple[str, dict[str, Command]]] = {
    "deploy": ("ship a pinned version: pin the commit, check the config, render the KubeRay manifest", {
        "pin": Command("point working_dir at a commit archive and re-render k8s/rayservice.yaml",
                       "cli.deploy.__main__", ("pin",)),
        "preflight": Command("check a Serve config (or, with --from-git, the pinned commit's code) before deploying",
                             "cli.deploy.__main__", ("preflight",)),
        "render": Command("write k8s/rayservice.yaml with serve_config.yaml embedded (--check: fail on drift)",
                          "cli.deploy.__main__", ("render",)),
    }),
    "topics": ("topic detection over a corpus, and prompt experiments", {
        "batch": Command("label, canonicalize and trend a JSONL corpus from any URI", "cli.topics_batch"),
        "experiment": Command("prompts x models x temperatures over a labelled corpus, via a running app",
                              "cli.topics_experiment"),
    }),
    "eval": ("evaluations against labelled data", {
        "agent": Command("the agent's accuracy on a QA set, against a running app", "bench.agent_eval"),
        "topics": Command("the topic pipeline against BERTopic on a labelled corpus", "bench.topics_vs_bertopic"),
    }),
    "docs": ("documentation generated from the code", {
        "settings": Command("print docs/settings.md, the table of every AppArgs setting", "cli.settings_doc"),
    }),
}


def parser() -> argparse.ArgumentParser:
    """The command tree, for `--help` and for errors; arguments after a leaf are not parsed here."""
    top = argparse.ArgumentParser(prog="medici", description=__doc__.split("\n\n")[0],
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    groups = top.add_subparsers(dest="group", required=True, metavar="{" + ",".join(COMMANDS) + "}")
    for name, (help_text, leaves) in COMMANDS.items():
        group = groups.add_parser(name, help=help_text, description=help_text)
        sub = group.add_subparsers(dest="command", required=True, metavar="{" + ",".join(leaves) + "}")
        for leaf, command in leaves.items():
            sub.add_parser(leaf, help=command.help, add_help=False)
    return top


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    leaves = COMMANDS.get(argv[0], (None, {}))[1] if argv else {}
    command = leaves.get(argv[1]) if len(argv) > 1 else None
    if command is None:
        parser().parse_args(argv)  # prints help or the usage error, and exits
        return 2
    result = command.run(f"medici {argv[0]} {argv[1]}", argv[2:])
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
