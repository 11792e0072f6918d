"""Customer sign-in by the shop's own JWT (design.md, Access): a bearer JWT acts as a CUSTOMER token.

The shop signs the token: HS256 with a shared secret, or RS256/ES256 with its private key, of which
ordergraph holds the public key. Exactly one algorithm is accepted, the one the configured key is for,
so a token that names another (`none`, or HS256 signed with the public key's text) is refused.
`exp` is required; `nbf` and `iat` are honoured when present; `iss` and `aud` are checked when
configured. `sub` is the customer id: customers are the shop's, ordergraph keeps no register of
them, so a `sub` with no records yet signs in and simply has none (as `token create --customer`).

Every refusal is an `UnauthenticatedToken`: the request is answered UNAUTHENTICATED and nothing runs.
"""

from __future__ import annotations

import dataclasses

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from models.enums import Role
from models.orders import Order
from resolvers.core import access

__all__ = ["CustomerJwt", "looks_like_jwt"]

# A few seconds of difference between the shop's clock and ours is not an expired token.
CLOCK_LEEWAY_SECONDS = 30
HS256_MINIMUM_SECRET_BYTES = 32


def looks_like_jwt(token: str) -> bool:
    """Whether a bearer token has a JWT's three parts; API tokens are URL-safe base64 without dots."""
    return token.count(".") == 2


@dataclasses.dataclass(frozen=True, slots=True)
class CustomerJwt:
    """How the shop's tokens are verified: the key, its one algorithm, and the claims required."""

    key: str | rsa.RSAPublicKey | ec.EllipticCurvePublicKey
    algorithm: str
    issuer: str | None = None
    audience: str | None = None

    @classmethod
    def configure(
        cls, *, secret: str | None, public_key_pem: bytes | None, issuer: str | None, audience: str | None
    ) -> CustomerJwt | None:
        """The verifier for the shop's settings; None when customer sign-in is not configured.

        Raises ValueError for a configuration that cannot work: both keys, a short secret, a key
        that is neither RSA nor EC P-256.
        """
        if secret and public_key_pem:
            raise ValueError("Set either the customer JWT secret or its public key file, not both.")
        if secret:
            if len(secret.encode()) < HS256_MINIMUM_SECRET_BYTES:
                raise ValueError(f"The customer JWT secret needs at least {HS256_MINIMUM_SECRET_BYTES} bytes.")
            return cls(key=secret, algorithm="HS256", issuer=issuer, audience=audience)
        if public_key_pem:
            key = serialization.load_pem_public_key(public_key_pem)
            return cls(key=key, algorithm=_algorithm_of(key), issuer=issuer, audience=audience)  # type: ignore[arg-type]
        return None

    def viewer(self, token: str) -> access.Viewer:
        """The CUSTOMER viewer a valid token stands for; raises UnauthenticatedToken otherwise."""
        required = ["exp", "sub"] + (["iss"] if self.issuer else []) + (["aud"] if self.audience else [])
        try:
            claims = jwt.decode(
                token,
                self.key,  # type: ignore[arg-type]
                algorithms=[self.algorithm],
                issuer=self.issuer,
                audience=self.audience,
                leeway=CLOCK_LEEWAY_SECONDS,
                # An `aud` the shop adds is not checked unless an audience is configured.
                options={"require": required, "verify_aud": self.audience is not None},
            )
        except jwt.PyJWTError as error:
            raise access.UnauthenticatedToken(f"The sign-in token is not valid: {error}.") from error
        return access.Viewer(role=Role.CUSTOMER, customer_id=_customer_id(claims["sub"]))


def _customer_id(subject: object) -> str:
    """The customer id a `sub` names: a string that fits the column the records keep it in."""
    limit = Order.customer_id.type.length
    if not isinstance(subject, str) or not subject.strip() or subject != subject.strip():
        raise access.UnauthenticatedToken("The sign-in token's `sub` must name a customer id.")
    if limit is not None and len(subject) > limit:
        raise access.UnauthenticatedToken(f"The sign-in token's `sub` is longer than {limit} characters.")
    return subject


def _algorithm_of(key: object) -> str:
    if isinstance(key, rsa.RSAPublicKey):
        return "RS256"
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return "ES256"
    raise ValueError("The customer JWT public key must be an RSA key (RS256) or an EC P-256 key (ES256).")
