"""The one coded error of the domain, and every code it carries.

    DomainError(code, message, field=None)
    ├── INVALID                  input that breaks a rule: a bad quantity, a malformed value, a custom field
    │                            of the wrong type, a required field missing, an over-long list
    ├── NOT_FOUND                an unknown id, or a cart/quote whose secret is wrong (the two look the same)
    ├── FORBIDDEN                the caller's role or customer may not do this
    ├── STALE_REVISION           `expectedRevision` is older than the order's revision
    ├── TRANSITION_NOT_ALLOWED   a state change the rules, the state's kind or its deletion refuse
    ├── NOT_EDITABLE             an edit or cart change on a record whose kind or state does not allow it
    ├── NOT_CAPTURABLE           capture of an order that is not complete, is cancelled or fully captured
    ├── AMOUNT_EXCEEDS_AVAILABLE a capture or refund beyond what is authorized or captured, or a return of a
    │                            line beyond what was ordered and not returned already
    ├── NEGATIVE_TOTAL           an edit or discount that would take the total below zero
    ├── PROVIDER_DECLINED        the payment provider said no (a FAILED transaction is recorded)
    ├── PROVIDER_UNSUPPORTED     the payment method's provider cannot do the operation
    ├── OUT_OF_STOCK             a line asks for more than the product has in stock
    ├── ALREADY_DONE             the operation was done before (a completed checkout, a cancelled order)
    ├── CLOSED                   the record is closed for this operation: cancelled, deleted, a rejected quote,
    │                            or an unfinished checkout moved into an ORDER state (`lifecycle`)
    ├── IDEMPOTENCY_CONFLICT     an idempotency key reused for a different request
    ├── LIMIT_EXCEEDED           the request is over a limit (body size, cost, depth, page size…); nothing ran.
    │                            Raised as a top-level error by the API layer, never by an operation
    └── CONFLICT                 the change lost to a concurrent one (a deadlock, a lock wait that gave up)
                                 twice and was not applied; retrying it is safe

The GraphQL `ErrorCode` enum is derived from `ErrorCode`; `schema/errors.py`
turns a `DomainError` into a `UserError`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence


class ErrorCode(enum.StrEnum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    STALE_REVISION = "STALE_REVISION"
    TRANSITION_NOT_ALLOWED = "TRANSITION_NOT_ALLOWED"
    NOT_EDITABLE = "NOT_EDITABLE"
    NOT_CAPTURABLE = "NOT_CAPTURABLE"
    AMOUNT_EXCEEDS_AVAILABLE = "AMOUNT_EXCEEDS_AVAILABLE"
    NEGATIVE_TOTAL = "NEGATIVE_TOTAL"
    PROVIDER_DECLINED = "PROVIDER_DECLINED"
    PROVIDER_UNSUPPORTED = "PROVIDER_UNSUPPORTED"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    ALREADY_DONE = "ALREADY_DONE"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
    CLOSED = "CLOSED"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    CONFLICT = "CONFLICT"


class DomainError(Exception):
    """An expected failure with a stable code; `field` is the path to the input at fault."""

    def __init__(self, code: ErrorCode, message: str, field: Sequence[str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = list(field) if field is not None else None

    def __repr__(self) -> str:
        return f"DomainError({self.code}, {self.message!r}, field={self.field!r})"


class DomainErrors(DomainError):
    """Several coded errors found at once (e.g. every bad custom field of an input)."""

    def __init__(self, errors: Sequence[DomainError]) -> None:
        super().__init__(errors[0].code, errors[0].message, errors[0].field)
        self.errors = list(errors)


def not_found(what: str, identifier: object, field: Sequence[str] | None = None) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, f"{what} {identifier} was not found.", field)


def conflict() -> DomainError:
    return DomainError(
        ErrorCode.CONFLICT, "The change conflicts with a concurrent one and was not applied; retrying it is safe."
    )


def invalid(message: str, field: Sequence[str] | None = None) -> DomainError:
    return DomainError(ErrorCode.INVALID, message, field)
