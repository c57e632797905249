"""``accelmark dev``: maintainer commands (left out of the main --help list).

``accelmark dev rehash [RUNNER_DIR ...]`` renames runner folders to
``{platform}_{name}_{hash8}`` of their runner.py and updates meta.json ``id``;
``--check`` only reports mismatches and exits 1 if there are any (for CI and
pre-commit).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    # No help= so `dev` stays out of the command list of `accelmark --help`.
    dev = subparsers.add_parser(
        "dev", description="Maintainer commands for accelmark's own runner folders."
    )
    dev_sub = dev.add_subparsers(dest="dev_command", metavar="DEV_COMMAND", parser_class=type(dev))
    p = dev_sub.add_parser(
        "rehash",
        help="rename runner folders to the hash of their runner.py",
        description="Recompute hash8 (first 8 hex of SHA-256 of runner.py) for each runner folder, "
        "rename the folder to {platform}_{name}_{hash8} and set meta.json id to match. "
        "With no folders, every bundled runner is checked.",
    )
    p.add_argument("folders", nargs="*", metavar="RUNNER_DIR", type=Path, help="runner folders (default: all)")
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 listing folders whose name is stale")
    p.set_defaults(func=cmd_rehash)
    dev.set_defaults(func=lambda args: _no_subcommand(dev))


def _no_subcommand(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


def _folders(given: list[Path]) -> list[Path]:
    from accelmark_tui import resources
    from accelmark_tui.errors import UsageError

    if not given:
        root = resources.runners_dir()
        return sorted(p for p in root.iterdir() if p.is_dir() and (p / "runner.py").is_file())
    for folder in given:
        if not (folder / "runner.py").is_file():
            raise UsageError(f"{folder} is not a runner folder (no runner.py); pass folders under runners/.")
    return list(given)


def cmd_rehash(args: argparse.Namespace) -> int:
    from accelmark_tui.catalog.rehash import check_runner, rehash_runner

    folders = _folders(args.folders)
    if args.check:
        stale = [r for r in (check_runner(f) for f in folders) if r.changed]
        for result in stale:
            print(result.describe())
        if stale:
            print(
                f"{len(stale)} runner folder(s) out of date; fix with: accelmark dev rehash "
                + " ".join(str(r.old_folder) for r in stale),
                file=sys.stderr,
            )
            return 1
        print(f"{len(folders)} runner folder(s) match their runner.py hash.")
        return 0
    for folder in folders:
        result = rehash_runner(folder)
        if result.changed:
            print(f"{result.old_folder.name} -> {result.new_id}")
        else:
            print(result.describe())
    return 0
