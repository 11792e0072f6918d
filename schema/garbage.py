"""The garbage collector of a serving process, tuned once the app has started.

A request leaves some thousands of objects in reference cycles (ORM instance states, the ledger's
amounts, loader futures: about 12,000 for the admin page of 100 orders), which only the collector frees.
With CPython's defaults (a young collection every 700 allocations, a full one over every object the
process holds) collecting took about a sixth of the page's CPU. After start-up the process freezes what
the imports and the schema made (never garbage, now left out of every collection) and collects the young
generation every `YOUNG_THRESHOLD` allocations instead: the same garbage freed in far fewer passes, at
the price of a few tens of MB of garbage held between them.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 100_000
# CPython's defaults for how many young (then middle) collections make one of the next generation.
OLDER_THRESHOLDS = (10, 10)


def tune() -> None:
    """Freeze what the process holds now and raise the young threshold; once per process."""
    if gc.get_threshold()[0] == YOUNG_THRESHOLD:
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
