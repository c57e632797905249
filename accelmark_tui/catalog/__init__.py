"""The catalog of runners and suites, and whether they fit this machine.

``runners`` (runner folders, read as data), ``suites`` (suite.json specs),
``fit`` (runner x suite x machine → ready or the one reason why not) and
``rehash`` (keep runner folder names equal to their runner.py hash). Never
imports Textual; modules import only the standard library and accelmark.
"""
