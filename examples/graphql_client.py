"""What every example shares: where the server is, which token to send, and one GraphQL call."""

from __future__ import annotations

import argparse
import os
from typing import Any

import httpx


class GraphQLFailed(Exception):
    """The server answered with top-level errors, or the mutation with userErrors."""


def client_from_command_line(description: str) -> httpx.AsyncClient:
    """A client of the server at --url / ORDERGRAPH_URL, sending --token / ORDERGRAPH_TOKEN if given."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--url", default=os.environ.get("ORDERGRAPH_URL", "http://127.0.0.1:8000"), help="the server")
    parser.add_argument("--token", default=os.environ.get("ORDERGRAPH_TOKEN"), help="a bearer token")
    arguments = parser.parse_args()
    headers = {"Authorization": f"Bearer {arguments.token}"} if arguments.token else {}
    return httpx.AsyncClient(base_url=arguments.url, headers=headers, timeout=30)


async def graphql(client: httpx.AsyncClient, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """Send one document; return its data, raising on a top-level error or a payload's userErrors."""
    response = await client.post("graphql", json={"query": document, "variables": variables or {}})
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise GraphQLFailed(body.get("errors") or response.text)
    for field, payload in body["data"].items():
        if isinstance(payload, dict) and payload.get("userErrors"):
            raise GraphQLFailed(f"{field}: {payload['userErrors']}")
    return body["data"]  # type: ignore[no-any-return]
