"""Hooks that only tests set, to reach states production never chooses to. Never set them in production.

    ORDERGRAPH_CRASH_AFTER=reserve    a money movement kills its process with SIGKILL right after its
                                      PENDING row is committed (`resolvers.payments.engine`)
    ORDERGRAPH_CRASH_AFTER=provider   … right after the provider answered, before the answer is settled

The crash tests (tests/test_payments_crash.py) start a server with one of them and prove that
reconciliation repairs exactly those crashes. Statement counting for tests is a fixture of the
tests themselves (tests/conftest.py), not a hook here.
"""

from __future__ import annotations

import os
import signal

CRASH_AFTER_VARIABLE = "ORDERGRAPH_CRASH_AFTER"
CRASH_POINTS = ("reserve", "provider")


def crash_point(point: str) -> None:
    """Kill this process here when the crash tests asked for `point` (see the module docstring)."""
    assert point in CRASH_POINTS, f"unknown crash point {point!r}"
    if os.environ.get(CRASH_AFTER_VARIABLE) == point:
        os.kill(os.getpid(), signal.SIGKILL)
