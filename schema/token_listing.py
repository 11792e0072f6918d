"""How the command line reads a token's lifetime and shows a token: `30d` in, `id=3 role=ADMIN …` out."""

from __future__ import annotations

import datetime
import re
import shlex

from models.access import ApiToken

_DURATION = re.compile(r"(\d{1,9})([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> datetime.timedelta:
    """`30m`, `12h`, `7d`: a positive whole number and a unit; ValueError for anything else."""
    matched = _DURATION.fullmatch(text.strip())
    if matched is None or int(matched[1]) == 0:
        raise ValueError(f"--expires-in {text!r} is not a duration such as 45s, 30m, 12h or 7d.")
    return datetime.timedelta(**{_UNITS[matched[2]]: int(matched[1])})


def line(row: ApiToken) -> str:
    """One token as `token list` prints it; the secret is never stored, its hash never shown."""
    fields = {
        "id": str(row.id),
        "role": row.role.value,
        "customer": row.customer_id or "-",
        "name": row.name or "-",
        "created": moment(row.created_at),
        "expires": moment(row.expires_at) if row.expires_at else "never",
        "last_used": moment(row.last_used_at) if row.last_used_at else "never",
    }
    if row.revoked_at is not None:
        fields["revoked"] = moment(row.revoked_at)
    return " ".join(f"{key}={shlex.quote(value)}" for key, value in fields.items())


def moment(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
