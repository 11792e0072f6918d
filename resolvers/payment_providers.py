"""Payment providers: a plug-in interface, and the built-in `manual` and `test` providers.

A provider says what it supports; a real gateway is a module that registers
itself here, not a change to the core.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True, slots=True)
class Capabilities:
    capture: bool
    partial_capture: bool
    refund: bool
    partial_refund: bool
    cancel: bool


NOTHING_ONLINE = Capabilities(capture=False, partial_capture=False, refund=False, partial_refund=False, cancel=False)
EVERYTHING = Capabilities(capture=True, partial_capture=True, refund=True, partial_refund=True, cancel=True)

_CAPABILITIES: dict[str, Capabilities] = {"manual": NOTHING_ONLINE, "test": EVERYTHING}


def capabilities(provider_name: str) -> Capabilities:
    """What a provider supports; an unknown provider supports nothing online."""
    return _CAPABILITIES.get(provider_name, NOTHING_ONLINE)


def names() -> list[str]:
    return sorted(_CAPABILITIES)
