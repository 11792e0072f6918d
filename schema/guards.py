"""Who may call what: admin-only mutations answer FORBIDDEN user errors, refused root queries a top-level FORBIDDEN."""

from __future__ import annotations

from models.enums import Role
from resolvers.core import access
from resolvers.core.errors import DomainError, ErrorCode
from schema import errors

FORBIDDEN_MESSAGE = "Only an admin may do this."


def admin_errors(viewer: access.Viewer) -> list[errors.UserError]:
    """No errors for an admin; one FORBIDDEN user error for anyone else (for mutation payloads)."""
    if viewer.is_admin:
        return []
    return errors.user_errors(DomainError(ErrorCode.FORBIDDEN, FORBIDDEN_MESSAGE))


def require_admin(viewer: access.Viewer) -> None:
    """Refuse an admin-only query with a top-level error."""
    if not viewer.is_admin:
        raise _forbidden("Only an admin may read this.")


def require_customer(viewer: access.Viewer, *, field: str) -> str:
    """The customer of a CUSTOMER token; a top-level error for any other caller of `field`."""
    if viewer.role is not Role.CUSTOMER or not viewer.customer_id:
        raise _forbidden(f"{field} needs a customer token.")
    return viewer.customer_id


def _forbidden(message: str) -> errors.ClientError:
    return errors.ClientError(message, code=errors.TopLevelCode.FORBIDDEN)
