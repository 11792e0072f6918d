"""Settings from the environment (`DATABASE_URL`, …), read once per process."""

from __future__ import annotations

import functools
import os

import pydantic_settings


class Settings(pydantic_settings.BaseSettings):
    model_config = pydantic_settings.SettingsConfigDict(env_prefix="ORDERGRAPH_", extra="ignore")

    # `DATABASE_URL` without the prefix, as the design card names it.
    database_url: str = "sqlite+aiosqlite:///ordergraph.db"
    # No request waits for a lock for ever (design.md): SQLite's busy wait, PostgreSQL's lock and statement waits.
    sqlite_busy_timeout_seconds: float = 5.0
    postgres_lock_timeout_seconds: float = 5.0
    postgres_statement_timeout_seconds: float = 30.0
    pool_size: int = 10
    log_level: str = "INFO"
    log_json: bool = False
    # When set, `GET /metrics` wants `Authorization: Bearer <metrics_token>` (schema/metrics.py).
    metrics_token: str | None = None
    # Request limits.
    max_body_bytes: int = 1024 * 1024
    # Points of `schema.cost` summed over a batch, as Saleor's limit.
    max_query_cost: int = 50_000
    max_query_depth: int = 15
    max_aliases: int = 30
    max_tokens: int = 5000
    max_batch_size: int = 20
    max_page_size: int = 250
    max_bulk_ids: int = 1000
    # Mail.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_timeout_seconds: float = 10.0
    # TLS: STARTTLS after connecting, or TLS from the first byte (port 465); a CA file for a private CA.
    smtp_starttls: bool = False
    smtp_tls: bool = False
    smtp_ca_file: str | None = None
    # Login (AUTH) when a username is set; only over TLS unless smtp_login_without_tls says otherwise.
    smtp_username: str | None = None
    smtp_password: str | None = None
    # Searched before the templates shipped in resolvers/fulfilment/mail_templates/.
    mail_template_folder: str | None = None
    mail_default_sender: str = "shop@example.com"
    # Delivery: attempts before FAILED, the first retry delay (doubled each time), the claim lease.
    mail_max_attempts: int = 5
    mail_retry_after_seconds: int = 60
    mail_lease_seconds: int = 300
    mail_batch_size: int = 20
    # Webhooks: the request timeout, attempts before FAILED, the first retry delay (doubled each time), the lease.
    webhook_timeout_seconds: float = 5.0
    webhook_max_attempts: int = 8
    webhook_retry_after_seconds: int = 30
    webhook_lease_seconds: int = 120
    webhook_batch_size: int = 20
    # The worker's round: mail every round, reconciliation at most this often.
    worker_interval_seconds: float = 10.0
    reconcile_every_seconds: int = 60
    # Payments.
    provider_timeout_seconds: float = 10.0
    reconcile_after_seconds: int = 300
    idempotency_keep_hours: int = 48
    # Access: how many days after completion an order's cart secret still reads it.
    secret_read_days: int = 30
    # Customer sign-in by the shop's JWT: HS256 with the shared secret, or RS256/ES256 with a public key (PEM).
    customer_jwt_secret: str | None = None
    customer_jwt_public_key_file: str | None = None
    # Checked only when set.
    customer_jwt_issuer: str | None = None
    customer_jwt_audience: str | None = None
    # Browser origins allowed to call /graphql (comma-separated); none by default.
    cors_origins: str = ""

    @property
    def cors_origin_list(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]

    # GraphiQL at GET /graphql and schema introspection, both on unless turned off (0/false); the folder
    # GraphiQL's files are served from (default: graphiql/node_modules of the checkout, filled by `make install`).
    graphiql: bool = True
    introspection: bool = True
    graphiql_assets: str | None = None

    @classmethod
    def settings_customise_sources(
        cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
    ):  # type: ignore[no-untyped-def,override]
        return (init_settings, _DatabaseUrlSource(settings_cls), env_settings, dotenv_settings, file_secret_settings)


class _DatabaseUrlSource(pydantic_settings.EnvSettingsSource):
    """Reads the unprefixed `DATABASE_URL` as well as `ORDERGRAPH_DATABASE_URL`."""

    def __call__(self) -> dict[str, object]:
        url = os.environ.get("DATABASE_URL")
        return {"database_url": url} if url else {}


@functools.cache
def get_settings() -> Settings:
    return Settings()
