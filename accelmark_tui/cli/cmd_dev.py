"""``accelmark dev``: maintainer commands (left out of the main --help list).

``accelmark dev rehash [RUNNER_DIR ...]`` renames runner folders to
``{platform}_{name}_{hash8}`` of their runner.py and updates meta.json ``id``;
``--check`` only reports mismatches and exits 1 if there are any (for CI and
pre-commit).

``accelmark dev matrix [--check]`` writes the README's runner × suite matrix from
the runners' meta.json (``--check``: exit 1 when the README is stale).

``accelmark dev tiny-model DIR [--gguf] [--seed N]`` writes a tiny random-weight
Llama (Hugging Face layout, optionally a GGUF too) for trying a runner offline.

``accelmark dev ladder DIR [--types F16,Q8_0,...]`` writes a quant ladder of the embedded
model (an F16 source and llama.cpp quantizations of it) for trying a sweep offline.
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

    p = dev_sub.add_parser(
        "matrix",
        help="write the README's runner × suite matrix from runners/*/meta.json",
        description="Regenerate the runner × suite table between the <!-- runner-matrix:start --> and "
        "<!-- runner-matrix:end --> lines of README.md from every runner's meta.json.",
    )
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 if the README's table is stale")
    p.add_argument("--root", type=Path, metavar="DIR",
                   help="the source tree whose README.md, runners/ and suites/ are used (default: the bundled runners')")
    p.set_defaults(func=cmd_matrix)

    p = dev_sub.add_parser(
        "tiny-model",
        help="write a tiny random-weight Llama to try a runner without a download",
        description="Write a tiny random-weight Llama (hidden 128, 4 heads, 2 KV heads, 2 layers, vocab 320) "
        "in Hugging Face layout: config.json, model.safetensors, a byte-level BPE tokenizer made here and a "
        "ChatML chat template. Its output is noise; it is for checking that a runner loads and measures.",
    )
    p.add_argument("folder", metavar="DIR", type=Path, help="a new or empty folder")
    p.add_argument("--gguf", action="store_true", help="also write DIR/model.gguf (same weights and tokenizer)")
    p.add_argument("--seed", type=int, default=0, metavar="N",
                   help="the weights' seed, 0 or more (default 0); same seed, same bytes")
    p.add_argument("--force", action="store_true",
                   help="write into DIR even if it is not empty (same-named files are replaced)")
    p.set_defaults(func=cmd_tiny_model)

    p = dev_sub.add_parser(
        "ladder",
        help="write a quant ladder of the embedded model to try a sweep without a download",
        description="Dequantize the embedded SmolLM2-135M GGUF to F16 (metadata, tokenizer and chat template kept) "
        "and quantize it with llama.cpp into each type asked. Files already in DIR are reused.",
    )
    p.add_argument("folder", metavar="DIR", type=Path, help="where the .gguf files go (made if missing)")
    p.add_argument("--types", default=None, metavar="T,T,...",
                   help="llama.cpp file types, highest precision first (default F16,Q8_0,Q5_0,Q4_0)")
    p.set_defaults(func=cmd_ladder)
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


def cmd_matrix(args: argparse.Namespace) -> int:
    from accelmark_tui.catalog.readme_matrix import current_table, default_root, read_readme, splice
    from accelmark_tui.jsonfile import atomic_write_text

    root = args.root or default_root()
    path = root / "README.md"
    text = read_readme(path)
    fresh = splice(text, current_table(root), path)
    if fresh == text:
        print(f"{path}: the runner matrix matches runners/*/meta.json.")
        return 0
    if args.check:
        print(f"{path}: the runner matrix is out of date with runners/*/meta.json; regenerate it with: "
              "accelmark dev matrix", file=sys.stderr)
        return 1
    atomic_write_text(path, fresh, hint="make README.md writable or pass another --root")
    print(f"{path}: runner matrix regenerated.")
    return 0


def cmd_tiny_model(args: argparse.Namespace) -> int:
    from accelmark_tui.engine import tiny_model as tm

    written = tm.write_tiny_model(args.folder, seed=args.seed, gguf=args.gguf, force=args.force)
    print(f"Wrote a tiny random-weight Llama ({tm.LAYERS} layers, hidden {tm.HIDDEN}, {tm.HEADS} heads / "
          f"{tm.KV_HEADS} KV heads, seed {args.seed}) to {args.folder}: {', '.join(p.name for p in written)}.")
    return 0


def cmd_ladder(args: argparse.Namespace) -> int:
    from accelmark_tui.backends.llama_lowlevel import init_backend
    from accelmark_tui.engine import ladder
    from accelmark_tui.engine.models import check_gguf

    init_backend()  # llama.cpp's quantize logs hundreds of lines; keep them off the terminal
    types = tuple(t.strip().upper() for t in args.types.split(",") if t.strip()) if args.types else ladder.DEFAULT_TYPES
    for t, path in ladder.build_ladder(args.folder, types).items():
        info = check_gguf(path)
        print(f"{t:6} {info.file_size / 2**20:8.1f} MiB  {path}")
    return 0
