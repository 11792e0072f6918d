"""Reconciliation finds a row's purpose in the registry, so the processes that reconcile must have registered them."""

from __future__ import annotations

import subprocess
import sys

LIST_PURPOSES = """
import schema.cli
from resolvers.payments import purposes
print(sorted(f"{type(purpose).__module__} {purpose.kind}" for purpose in purposes.registered()))
"""


def test_the_command_line_and_the_worker_register_every_purpose_they_reconcile() -> None:
    # A fresh interpreter: `ordergraph reconcile` and `ordergraph worker` import the command line only.
    listed = subprocess.run([sys.executable, "-c", LIST_PURPOSES], capture_output=True, text=True, check=True)

    assert listed.stdout.strip() == str(
        [
            "resolvers.channels.recurring_charges AUTHORIZE",
            "resolvers.payments.settlement AUTHORIZE",
            "resolvers.payments.settlement CANCEL",
            "resolvers.returns.return_refunds REFUND",
            "resolvers.storefront.checkout AUTHORIZE",
        ]
    )
