"""`accelmark` with no arguments and no terminal says how to run headless instead of failing."""

from __future__ import annotations

import subprocess


def test_app_without_a_tty_points_to_the_headless_cli(cli, tmp_path):
    argv, env = cli(tmp_path)
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=env, timeout=60, text=True)
    assert proc.returncode == 2
    message = proc.stderr.strip()
    assert message.count("\n") == 0 and message.endswith(".")  # one sentence
    assert "needs a terminal" in message and "accelmark run" in message
    assert proc.stdout == ""
