"""The catalog of runners and suites, and whether they fit this machine.

``runners`` (runner folders, read as data), ``suites`` (suite.json specs),
``fit`` (runner x suite x machine → ready or the one reason why not),
``matrix`` (every runner x suite on one machine, with the runner to pick),
``leaderboard`` (what the default leaderboard accepts, and what this machine
could submit) and ``rehash`` (keep runner folder names equal to their runner.py hash). Never
imports Textual; modules import only the standard library and accelmark.
"""

# The suite a run uses when none is named: the quick one, on the embedded model. Defined here, not in
# suites.py, so the CLI's help can name it without loading the catalog.
DEFAULT_SUITE = "suite_Quick"
