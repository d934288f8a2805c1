"""The exit codes supervisord sees from a TRT program, apart from the lifecycle that returns them.

A program that only needs a code (the crash guard's entry point, the migrations) imports this instead
of :mod:`shared.process`, which brings Redis, PostgreSQL and uvloop with it.
"""

from __future__ import annotations

__all__ = ["EXIT_CONFIG", "EXIT_FAILURE", "EXIT_UNAVAILABLE"]

EXIT_FAILURE = 1
# sysexits.h EX_UNAVAILABLE / EX_CONFIG. supervisor.conf lists EXIT_CONFIG in `exitcodes`, so a
# program that stops for a wrong setting is not restarted in a loop.
EXIT_UNAVAILABLE = 69
EXIT_CONFIG = 78
