"""What a scenario is, defined once: its name, how its block is reported and how it is shown.

A low layer: pure definitions and formatting, importing nothing of the engine,
results or UI, so the engine, the results views, the CLI and the screens all
read the same definitions. ``definition`` holds what a scenario defines (its
``Scenario`` record and its table, the ``View``), ``upstream`` and ``curves``
the scenarios themselves, ``registry`` the lookup by name, and ``format`` the
cell and table formatting every view shares.
"""
