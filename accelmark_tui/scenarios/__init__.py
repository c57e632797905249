"""What a scenario is, defined once: its name, how its block is reported and how it is shown.

A low layer: pure definitions and formatting, importing nothing of the engine,
results or UI, so the engine, the results views, the CLI and the screens all
read the same definitions.
"""
