"""Benchmarks of socle, run by ``make bench`` (``python -m bench [name ...]``).

Each benchmark is a module exposing ``run() -> dict``; its figures are always
compared with a baseline measured in the same run, on the same machine.
"""
