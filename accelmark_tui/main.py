"""Console entry point: the app with no arguments, the headless CLI otherwise."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:
        if sys.stdin.isatty() and sys.stdout.isatty():
            try:
                from accelmark_tui.ui.app import run_app  # Textual only here
            except ImportError:
                pass
            else:
                return run_app()
        else:
            print(
                "accelmark's app needs a terminal; without one, run it headless: "
                "`accelmark run` (see `accelmark --help`).",
                file=sys.stderr,
            )
            return 2
    from accelmark_tui.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
