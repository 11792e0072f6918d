"""Customer sign-in by the shop's JWT over HTTP: HS256, RS256 and ES256, every refused shape, and what a
signed-in customer reaches (their own carts, quotes and orders, nobody else's)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import pathlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import jwt
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from models.enums import Role
from models.orders import Order
from models.settings import Settings
from resolvers.core import customer_jwt
from schema.app import create_app
from tests.conftest import GraphQLClient, Store, make_token
from tests.storefront_helpers import COMPLETE, ERRORS, catalogue, checkout, create_cart, filled_cart, succeed

SECRET = "a-shop-secret-of-at-least-thirty-two-bytes"
ISSUER = "https://shop.example.com"
AUDIENCE = "ordergraph"
MY_ORDERS = "query($k: OrderKind) { myOrders(kind: $k) { edges { node { id customerId } } } }"
ORDER_ID = "query($id: ID!) { order(id: $id) { id customerId } }"
CREATE_CART = "mutation { createCart { cart { id customerId } userErrors { code } } }"
SUBMIT_QUOTE = f"mutation($c: ID!) {{ submitQuote(cartId: $c) {{ order {{ id }} {ERRORS} }} }}"


@dataclasses.dataclass(frozen=True)
class Keys:
    """A key pair as the shop holds it: the private key signs, ordergraph gets the public PEM."""

    private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    public_pem: bytes


def _keys(private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> Keys:
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return Keys(private, public_pem)


@pytest.fixture(scope="module")
def rsa_keys() -> tuple[Keys, Keys]:
    """The shop's RSA key pair and a stranger's."""
    return tuple(_keys(rsa.generate_private_key(public_exponent=65537, key_size=2048)) for _ in range(2))  # type: ignore[return-value]


@pytest.fixture(scope="module")
def ec_keys() -> tuple[Keys, Keys]:
    """The shop's EC P-256 key pair and a stranger's."""
    return tuple(_keys(ec.generate_private_key(ec.SECP256R1())) for _ in range(2))  # type: ignore[return-value]


def _claims(subject: Any = "c-ada", **overrides: Any) -> dict[str, Any]:
    claims = {"sub": subject, "exp": int(time.time()) + 600, "iat": int(time.time())}
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


def _segment(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _hs256_by_hand(claims: dict[str, Any], key: bytes) -> str:
    """An HS256 token signed with any bytes (pyjwt itself refuses a PEM as an HMAC key)."""
    signing_input = f"{_segment({'alg': 'HS256', 'typ': 'JWT'})}.{_segment(claims)}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def _unsigned(claims: dict[str, Any]) -> str:
    return f"{_segment({'alg': 'HS256', 'typ': 'JWT'})}.{_segment(claims)}."


def _alg_none(claims: dict[str, Any]) -> str:
    return f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment(claims)}."


@pytest.fixture
async def shop_app(demo_store: Store, tmp_path: pathlib.Path) -> AsyncIterator[Callable[..., GraphQLClient]]:
    """Serves the demo store with the sign-in settings a test passes (`public_key`: the PEM to configure)."""
    clients: list[httpx.AsyncClient] = []

    def serve(**settings: Any) -> GraphQLClient:
        if "public_key" in settings:
            key_file = tmp_path / "shop-public.pem"
            key_file.write_bytes(settings.pop("public_key"))
            settings["customer_jwt_public_key_file"] = str(key_file)
        app = create_app(Settings(database_url=demo_store.url, **settings), db=demo_store.db)
        clients.append(httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ordergraph.test"))
        return GraphQLClient(clients[-1])

    yield serve
    for http in clients:
        await http.aclose()


async def _orders_count(store: Store) -> int:
    async with store.db.read_sessions() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(Order)) or 0)


async def _refusals(client: GraphQLClient, tokens: dict[str, str]) -> dict[str, tuple[int, list[str]]]:
    """Per token: the HTTP status and the error codes of a createCart sent with it."""
    answers = {}
    for shape, token in tokens.items():
        response = await client.post(CREATE_CART, token=token)
        body = response.json()
        answers[shape] = (response.status_code, [error["extensions"]["code"] for error in body.get("errors", [])])
        assert "data" not in body, (shape, body)
    return answers


async def test_every_refused_hs256_shape_is_unauthenticated_and_changes_nothing(
    shop_app: Callable[..., GraphQLClient], demo_store: Store, rsa_keys: tuple[Keys, Keys]
) -> None:
    client = shop_app(customer_jwt_secret=SECRET)
    now = int(time.time())
    tokens = {
        "alg none": _alg_none(_claims()),
        "unsigned": _unsigned(_claims()),
        "wrongly signed": jwt.encode(_claims(), "another-secret-of-at-least-thirty-two-bytes", algorithm="HS256"),
        "tampered": _tamper(jwt.encode(_claims(), SECRET, algorithm="HS256")),
        "expired": jwt.encode(_claims(exp=now - 3600), SECRET, algorithm="HS256"),
        "not yet valid": jwt.encode(_claims(nbf=now + 3600), SECRET, algorithm="HS256"),
        "no exp": jwt.encode(_claims(exp=None), SECRET, algorithm="HS256"),
        "no sub": jwt.encode(_claims(subject=None), SECRET, algorithm="HS256"),
        "empty sub": jwt.encode(_claims(subject=" "), SECRET, algorithm="HS256"),
        "too long a sub": jwt.encode(_claims(subject="c" * 101), SECRET, algorithm="HS256"),
        "wrong algorithm": jwt.encode(_claims(), rsa_keys[0].private, algorithm="RS256"),
        "not a jwt": "not.a.jwt",
    }
    before = await _orders_count(demo_store)

    answers = await _refusals(client, tokens)

    assert answers == dict.fromkeys(tokens, (401, ["UNAUTHENTICATED"]))
    assert await _orders_count(demo_store) == before


def _tamper(token: str) -> str:
    """The same signature over a payload naming another customer."""
    header, _, signature = token.split(".")
    return f"{header}.{_segment(_claims(subject='c-bob'))}.{signature}"


async def test_iss_and_aud_are_checked_when_configured(
    shop_app: Callable[..., GraphQLClient], demo_store: Store
) -> None:
    client = shop_app(customer_jwt_secret=SECRET, customer_jwt_issuer=ISSUER, customer_jwt_audience=AUDIENCE)
    unchecked = shop_app(customer_jwt_secret=SECRET)
    right = {"iss": ISSUER, "aud": AUDIENCE}
    tokens = {
        "wrong iss": jwt.encode(_claims(**{**right, "iss": "https://elsewhere.example.com"}), SECRET),
        "wrong aud": jwt.encode(_claims(**{**right, "aud": "another-api"}), SECRET),
        "no iss": jwt.encode(_claims(aud=AUDIENCE), SECRET),
        "no aud": jwt.encode(_claims(iss=ISSUER), SECRET),
    }
    before = await _orders_count(demo_store)

    answers = await _refusals(client, tokens)
    accepted = await client.execute(MY_ORDERS, token=jwt.encode(_claims(**right), SECRET))
    # Without an issuer and audience configured, the shop's own claims are not checked.
    unchecked_answer = await unchecked.execute(MY_ORDERS, token=tokens["wrong aud"])

    assert answers == dict.fromkeys(tokens, (401, ["UNAUTHENTICATED"]))
    assert await _orders_count(demo_store) == before
    assert accepted == unchecked_answer == {"myOrders": {"edges": []}}


@pytest.mark.parametrize(
    ("algorithm", "keys_fixture", "other_algorithm"), [("RS256", "rsa_keys", "ES256"), ("ES256", "ec_keys", "RS256")]
)
async def test_a_public_key_accepts_its_algorithm_only(
    shop_app: Callable[..., GraphQLClient],
    demo_store: Store,
    request: pytest.FixtureRequest,
    rsa_keys: tuple[Keys, Keys],
    ec_keys: tuple[Keys, Keys],
    algorithm: str,
    keys_fixture: str,
    other_algorithm: str,
) -> None:
    shop, stranger = request.getfixturevalue(keys_fixture)
    other_kind = (ec_keys if algorithm == "RS256" else rsa_keys)[0]
    client = shop_app(public_key=shop.public_pem)
    tokens = {
        "signed by a stranger": jwt.encode(_claims(), stranger.private, algorithm=algorithm),
        "HS256 signed with the public key's text": _hs256_by_hand(_claims(), shop.public_pem),
        "HS256 with a secret": jwt.encode(_claims(), SECRET, algorithm="HS256"),
        f"{other_algorithm}": jwt.encode(_claims(), other_kind.private, algorithm=other_algorithm),
        "alg none": _alg_none(_claims()),
        "expired": jwt.encode(_claims(exp=int(time.time()) - 3600), shop.private, algorithm=algorithm),
    }
    before = await _orders_count(demo_store)

    answers = await _refusals(client, tokens)
    created = await client.execute(CREATE_CART, token=jwt.encode(_claims(), shop.private, algorithm=algorithm))

    assert answers == dict.fromkeys(tokens, (401, ["UNAUTHENTICATED"]))
    assert created["createCart"]["cart"]["customerId"] == "c-ada"
    assert await _orders_count(demo_store) == before + 1


async def test_a_signed_in_customer_reaches_their_own_records_only(
    shop_app: Callable[..., GraphQLClient], demo_store: Store
) -> None:
    client = shop_app(customer_jwt_secret=SECRET)
    ada = client.as_role(jwt.encode(_claims("c-ada"), SECRET, algorithm="HS256"))
    bob = client.as_role(jwt.encode(_claims("c-bob"), SECRET, algorithm="HS256"))
    newcomer = client.as_role(jwt.encode(_claims("c-new"), SECRET, algorithm="HS256"))
    ids = await catalogue(client)
    ada_cart, _ = await create_cart(ada)
    ada_quote = await succeed(ada, SUBMIT_QUOTE, {"c": (await filled_cart(ada, ids)).id})
    placed = await checkout(ada, await filled_cart(ada, ids))
    ada_order = await succeed(ada, COMPLETE, {"o": placed["id"]})
    bob_cart, _ = await create_cart(bob)

    mine = {kind: await _my_ids(ada, kind) for kind in ("CART", "QUOTE", "ORDER")}
    bobs = {kind: await _my_ids(bob, kind) for kind in ("CART", "QUOTE", "ORDER")}

    assert mine == {"CART": [ada_cart.id], "QUOTE": [ada_quote["id"]], "ORDER": [ada_order["id"]]}
    assert bobs == {"CART": [bob_cart.id], "QUOTE": [], "ORDER": []}
    for record in (ada_cart.id, ada_quote["id"], ada_order["id"]):
        assert (await ada.execute(ORDER_ID, {"id": record}))["order"] == {"id": record, "customerId": "c-ada"}
        assert (await bob.execute(ORDER_ID, {"id": record}))["order"] is None
    assert (await ada.execute(ORDER_ID, {"id": bob_cart.id}))["order"] is None
    # A `sub` with no records yet signs in: customers are the shop's, and a new one has nothing so far.
    assert await _my_ids(newcomer, None) == []
    assert (await newcomer.execute(CREATE_CART))["createCart"]["cart"]["customerId"] == "c-new"


async def test_api_tokens_keep_working_beside_customer_jwts(
    shop_app: Callable[..., GraphQLClient], demo_store: Store
) -> None:
    client = shop_app(customer_jwt_secret=SECRET)
    ada_by_jwt = client.as_role(jwt.encode(_claims("c-ada"), SECRET, algorithm="HS256"))
    ada_by_token = client.as_role(await make_token(demo_store, Role.CUSTOMER, customer_id="c-ada"))
    admin = client.as_role(await make_token(demo_store, Role.ADMIN))
    cart, _ = await create_cart(ada_by_jwt)

    assert await _my_ids(ada_by_token, "CART") == [cart.id]
    assert (await admin.execute(ORDER_ID, {"id": cart.id}))["order"] == {"id": cart.id, "customerId": "c-ada"}
    assert (await admin.post(ORDER_ID, {"id": cart.id}, token="og_no-such-token")).status_code == 401


async def test_without_sign_in_configured_a_jwt_is_an_unknown_token(shop_app: Callable[..., GraphQLClient]) -> None:
    client = shop_app()

    answers = await _refusals(client, {"jwt": jwt.encode(_claims(), SECRET, algorithm="HS256")})

    assert answers == {"jwt": (401, ["UNAUTHENTICATED"])}


def test_a_configuration_that_cannot_work_is_refused(ec_keys: tuple[Keys, Keys]) -> None:
    p384 = _keys(ec.generate_private_key(ec.SECP384R1())).public_pem
    configure = customer_jwt.CustomerJwt.configure
    plain = {"issuer": None, "audience": None}

    with pytest.raises(ValueError, match="not both"):
        configure(secret=SECRET, public_key_pem=ec_keys[0].public_pem, **plain)
    with pytest.raises(ValueError, match="at least 32 bytes"):
        configure(secret="short", public_key_pem=None, **plain)
    with pytest.raises(ValueError, match="EC P-256"):
        configure(secret=None, public_key_pem=p384, **plain)
    assert configure(secret=None, public_key_pem=None, **plain) is None
    assert configure(secret=None, public_key_pem=ec_keys[0].public_pem, **plain).algorithm == "ES256"  # type: ignore[union-attr]


async def _my_ids(client: GraphQLClient, kind: str | None) -> list[str]:
    data = await client.execute(MY_ORDERS, {"k": kind})
    return sorted(edge["node"]["id"] for edge in data["myOrders"]["edges"])
