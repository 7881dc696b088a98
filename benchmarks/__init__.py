"""Benchmarks: side-by-side measurements against textbook Whoosh and SQLite FTS5.

Run `python -m benchmarks --help`. Benchmarks print tables and write JSON; they are
not tests and assert nothing about time.
"""
