"""TRT benchmarks: each module with a ``run()`` measures one thing and writes ``bench/results/<name>.json``.

``python -m bench`` (``make bench``) runs them all and prints a table; ``python -m bench.<name>`` runs one.
"""
