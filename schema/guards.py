"""Who may call what: admin-only mutations answer FORBIDDEN user errors, admin-only queries a top-level error."""

from __future__ import annotations

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
        raise errors.ClientError("Only an admin may read this.", code=errors.TopLevelCode.FORBIDDEN)
