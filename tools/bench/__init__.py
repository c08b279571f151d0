"""`make bench`: the collection's performance figures, measured against the in-process emulator.

``tools/bench.py`` runs the four benchmarks of issue 8 and writes ``docs/benchmarks.md`` and
``docs/benchmark-aggregation.png``. Each module here is one benchmark; ``world`` builds the objects.
"""
