"""The headless CLI: ``accelmark detect | runners | suites | run | sweep | results``.

Each command lives in its own module exposing ``register(subparsers)`` which
adds its parser and sets ``func``. Command modules import only the standard
library at module level; heavy imports (backends, jsonschema) happen inside
the command so ``accelmark --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from accelmark_tui import __version__

# Order is the order in `--help`.
COMMAND_MODULES = [
    "accelmark_tui.cli.cmd_detect",
    "accelmark_tui.cli.cmd_catalog",
    "accelmark_tui.cli.cmd_run",
    "accelmark_tui.cli.cmd_sweep",
    "accelmark_tui.cli.cmd_results",
    "accelmark_tui.cli.cmd_validate",
    "accelmark_tui.cli.cmd_submit",
    "accelmark_tui.cli.cmd_dev",
]


class _Parser(argparse.ArgumentParser):
    """argparse with exit status 2 and one sentence on bad arguments."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"accelmark: {message[0].upper()}{message[1:]}; see `{self.prog} --help`.\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="accelmark",
        description="Benchmark LLM inference on this machine and publish to the AccelMark leaderboard. "
        "Run with no arguments for the app.",
    )
    parser.add_argument("--version", action="version", version=f"accelmark {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def add_run_and_repo(p: argparse.ArgumentParser) -> None:
    """RUN and --repo, as `validate` and `submit` take them (the same run, the same target)."""
    p.add_argument("run", metavar="RUN", help="run name, unique prefix, or run folder")
    p.add_argument("--repo", metavar="OWNER/NAME", help="target leaderboard repository (default: submit_repo in "
                   "settings.json in accelmark's config folder, else FreedomIntelligence/AccelMark)")


def main(argv: list[str] | None = None) -> int:
    from accelmark_tui.errors import AccelmarkError, user_message

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except AccelmarkError as exc:
        print(f"accelmark: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"accelmark: {user_message(KeyboardInterrupt())}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `accelmark ... | head`: the reader left; not an error worth a sentence.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        print(f"accelmark: {user_message(exc)}", file=sys.stderr)
        return 2
