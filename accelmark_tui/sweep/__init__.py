"""Quant sweeps (``accelmark sweep``): GGUF files × workload shapes × concurrency levels × backend settings.

A headless layer between the CLI and the engine: it plans the matrix, runs one ordinary runner job per
(file, load settings), keeps every finished cell in a resumable folder and builds the sweep's tables.
"""
