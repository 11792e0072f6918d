"""The `ordergraph` command line: serve, migrate, seed, token, reconcile, worker, schema."""

from __future__ import annotations

import asyncio
import datetime
import logging
import signal
import sys
from typing import Annotated

import typer

from models import database, migration
from models.enums import Role
from models.settings import get_settings
from resolvers.core import access
from resolvers.demo import orders as demo_orders
from resolvers.demo import tools as demo_tools
from resolvers.fulfilment import mail
from resolvers.integrations import webhook_outbox
from resolvers.payments import payment_providers, reconciliation
from resolvers.setup import demo
from schema import command_errors, token_listing
from schema import worker as worker_loop

app = typer.Typer(no_args_is_help=True, add_completion=False, help="ordergraph: an order-management GraphQL service.")
token_app = typer.Typer(no_args_is_help=True, help="API tokens.")
app.add_typer(token_app, name="token")


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve GraphQL on http://HOST:PORT/graphql."""
    from schema import logs, serving

    settings = get_settings()
    logs.configure(settings)
    asyncio.run(_check_store())
    code = serving.serve(host=host, port=port, workers=workers, settings=settings)
    if code:
        raise typer.Exit(code)


async def _check_store() -> None:
    """Refuse to serve a store that does not answer or is not migrated (the readiness check's reasons)."""
    db = database.connect(get_settings())
    try:
        async with db.read_engine.connect() as connection:
            reason = await migration.pending(connection)
    finally:
        await db.dispose()
    if reason is not None:
        raise command_errors.CommandError(f"not serving: {reason}")


@app.command()
def migrate() -> None:
    """Apply the migrations to DATABASE_URL."""
    asyncio.run(migration.upgrade(get_settings().database_url))
    typer.echo("migrated to head")


@app.command()
def seed(demo_data: Annotated[bool, typer.Option("--demo", help="Load the demo data.")] = False) -> None:
    """Load the demo shop: its catalogue, customers and orders (running it again adds nothing twice)."""
    if not demo_data:
        typer.echo("nothing to seed: pass --demo", err=True)
        raise typer.Exit(2)
    try:
        added, orders = asyncio.run(_seed())
    except demo_tools.DemoStepFailed as error:  # the store's catalogue is not the demo's any more
        typer.echo(f"seed --demo stopped: {error}", err=True)
        raise typer.Exit(1) from error
    typer.echo("added: " + (", ".join(f"{table} {count}" for table, count in sorted(added.items())) or "nothing"))
    typer.echo(demo_orders.summary(orders))


async def _seed() -> tuple[dict[str, int], demo_orders.Report]:
    settings = get_settings()
    db = database.connect(settings)
    webhook_outbox.install()  # the demo's orders notify the store's webhooks as the API's would
    try:
        async with db.write_sessions() as session, session.begin():
            added = await demo.seed(session, now=_now())
        orders = await demo_orders.seed(
            db.write_sessions, providers=payment_providers.Providers(db.write_sessions),
            composer=mail.composer_from(settings), timeout_seconds=settings.provider_timeout_seconds, now=_now(),
        )  # fmt: skip
        return added, orders
    finally:
        await db.dispose()


@app.command("is-empty", hidden=True)
def is_empty() -> None:
    """Exit 0 when the store holds no shop yet (used by `make serve`)."""
    raise typer.Exit(0 if asyncio.run(_count_shops()) == 0 else 1)


async def _count_shops() -> int:
    import sqlalchemy as sa

    from models.catalog import Shop

    db = database.connect(get_settings())
    try:
        async with db.read_sessions() as session:
            return int(await session.scalar(sa.select(sa.func.count()).select_from(Shop)) or 0)
    finally:
        await db.dispose()


@token_app.command("create")
def token_create(
    role: Annotated[Role, typer.Option(help="ADMIN, STOREFRONT or CUSTOMER.", case_sensitive=False)],
    customer: Annotated[str | None, typer.Option(help="The customer a CUSTOMER token is bound to.")] = None,
    name: Annotated[str | None, typer.Option(help="A name to recognise the token by.")] = None,
    expires_in: Annotated[
        str | None, typer.Option("--expires-in", help="Expire after DURATION: a number and s, m, h or d (30d).")
    ] = None,
) -> None:
    """Create a token and print it alone on the last line (it is shown only once)."""
    try:
        lifetime = None if expires_in is None else token_listing.parse_duration(expires_in)
        token, expires_at = asyncio.run(_create_token(role, customer, name, lifetime))
    except (access.DomainError, ValueError) as error:
        typer.echo(getattr(error, "message", str(error)), err=True)
        raise typer.Exit(2) from error
    typer.echo(
        f"created a {role.value} token"
        + (f" for customer {customer}" if customer else "")
        + (f", expires {token_listing.moment(expires_at)}" if expires_at else "")
    )
    typer.echo(token)


async def _create_token(
    role: Role, customer: str | None, name: str | None, lifetime: datetime.timedelta | None
) -> tuple[str, datetime.datetime | None]:
    db = database.connect(get_settings())
    now = _now()
    try:
        async with db.write_sessions() as session, session.begin():
            row, token = await access.create_token(
                session, role=role, customer_id=customer, name=name, now=now,
                expires_at=None if lifetime is None else now + lifetime,
            )  # fmt: skip
            return token, row.expires_at
    finally:
        await db.dispose()


@token_app.command("list")
def token_list() -> None:
    """Print one line per token: id, role, customer, name, created, expires, last used (never the secret)."""
    for line in asyncio.run(_token_lines()):
        typer.echo(line)


async def _token_lines() -> list[str]:
    db = database.connect(get_settings())
    try:
        async with db.read_sessions() as session:
            return [token_listing.line(row) for row in await access.list_tokens(session)]
    finally:
        await db.dispose()


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(metavar="ID", help="The id `token list` shows.")]) -> None:
    """Revoke a token: its next request is refused."""
    try:
        asyncio.run(_revoke_token(token_id))
    except access.DomainError as error:
        typer.echo(error.message, err=True)
        raise typer.Exit(2) from error
    typer.echo(f"revoked token {token_id}")


async def _revoke_token(token_id: int) -> None:
    db = database.connect(get_settings())
    try:
        async with db.write_sessions() as session, session.begin():
            await access.revoke_token(session, token_id=token_id, now=_now())
    finally:
        await db.dispose()


@app.command()
def reconcile(
    older_than: Annotated[
        int | None,
        typer.Option("--older-than", help="Settle PENDING transactions older than SECONDS (default: the settings')."),
    ] = None,
) -> None:
    """Settle PENDING payment transactions by asking their providers; purge expired idempotency keys."""
    report = asyncio.run(_reconcile(older_than))
    typer.echo(f"reconciled: {worker_loop.describe_reconciliation(report)}")


async def _reconcile(older_than: int | None) -> reconciliation.Report:
    settings = get_settings()
    db = database.connect(settings)
    try:
        return await worker_loop.reconcile_once(
            db,
            settings,
            providers=payment_providers.Providers(db.write_sessions),
            older_than_seconds=older_than,
            now=_now(),
        )
    finally:
        await db.dispose()


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="Run every job once, then exit (1 if a job failed).")] = False,
    interval: Annotated[
        float | None, typer.Option("--interval", help="Seconds between rounds (default: the settings').")
    ] = None,
) -> None:
    """Deliver the mail outbox and run the other periodic jobs (reconciliation), round after round."""
    from schema import logs

    settings = get_settings()
    logs.configure(settings)
    failed = asyncio.run(_work(once=once, interval=settings.worker_interval_seconds if interval is None else interval))
    if failed:
        raise typer.Exit(1)


async def _work(*, once: bool, interval: float) -> list[str]:
    settings = get_settings()
    db = database.connect(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    try:
        return await worker_loop.run(
            worker_loop.standard_jobs(settings, db, stop=stop),
            once=once,
            interval_seconds=interval,
            stop=stop,
            report=lambda line: typer.echo(line),
        )
    finally:
        await db.dispose()


@app.command("schema")
def print_schema() -> None:
    """Print the SDL the service serves."""
    from schema import root

    typer.echo(root.build(get_settings()).as_str())


def main() -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    try:
        app()
    except Exception as error:
        line = command_errors.explain(error, database_url=get_settings().database_url)
        if line is None:
            raise
        typer.echo(f"ordergraph: {line}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
