"""The performance workloads, on data generated directly in the store (benchmarks/RESULTS.md records runs).

    .venv/bin/python -m benchmarks                          (make bench) every workload on SQLite, and on
                                                            PostgreSQL too when ORDERGRAPH_BENCH_POSTGRES_URL is set
    .venv/bin/python -m benchmarks admin_list http_admin_page --stores postgresql
    make bench BENCH_ARGS="http_checkouts"

ORDERGRAPH_BENCH_POSTGRES_URL names a database the run may empty. Prints the machine, then one line per
workload (`name key=value …`); `--record FILE` writes the same to FILE.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import os
import pathlib
import platform
from collections.abc import Awaitable, Callable

from benchmarks import http_workloads, in_process, load, stores, write_path

# Name -> workload; the order is the order they run in (the in-process bulk change moves orders on, so last).
WORKLOADS: dict[str, Callable[[stores.Bench], Awaitable[list[str]]]] = {
    "admin_list": in_process.admin_list,
    "sales_summary": in_process.sales_summary,
    "http_admin_page": http_workloads.admin_pages,
    "http_checkouts": http_workloads.checkouts,
    "storefront_statements": write_path.storefront_statements,
    "http_bulk": write_path.http_bulk,
    "sales_summary_1m": write_path.sales_summary_1m,
    "bulk_change_state": in_process.bulk_change_state,
}
PACKAGES = (
    "strawberry-graphql",
    "graphql-core",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "aiodataloader",
    "httpx",
    "orjson",
)


def main() -> None:
    arguments = _arguments()
    postgres_url = os.environ.get("ORDERGRAPH_BENCH_POSTGRES_URL")
    store_names = (
        arguments.stores.split(",") if arguments.stores else ["sqlite", *(["postgresql"] * bool(postgres_url))]
    )
    chosen = [name for name in WORKLOADS if not arguments.workloads or name in arguments.workloads]
    header = machine()
    print("\n".join(header), flush=True)
    lines: list[str] = []
    with load.Client() as client:
        for store in store_names:
            lines += asyncio.run(_run_store(store, postgres_url, client, chosen))
    if arguments.record:
        pathlib.Path(arguments.record).write_text("\n".join([*header, *lines]) + "\n")


async def _run_store(store: str, postgres_url: str | None, client: load.Client, chosen: list[str]) -> list[str]:
    lines = []
    async with stores.filled(store, postgres_url, client) as bench:
        for name in chosen:
            for line in await WORKLOADS[name](bench):
                print(line, flush=True)
                lines.append(line)
    return lines


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description="Run the benchmark workloads.")
    parser.add_argument("workloads", nargs="*", help=f"Workloads to run (default: all): {', '.join(WORKLOADS)}.")
    parser.add_argument("--stores", help="sqlite, postgresql or both, comma-separated (default: what is set up).")
    parser.add_argument("--record", help="Also write the machine and the lines to this file.")
    arguments = parser.parse_args()
    unknown = set(arguments.workloads) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workloads: {', '.join(sorted(unknown))}")
    return arguments


def machine() -> list[str]:
    """`#` lines naming the machine and the versions a run measured."""
    cpuinfo = pathlib.Path("/proc/cpuinfo")
    text = cpuinfo.read_text() if cpuinfo.exists() else ""
    models = [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("model name")]
    cpu = models[0] if models else platform.processor() or "unknown"
    versions = ", ".join(f"{name} {importlib.metadata.version(name)}" for name in PACKAGES)
    return [
        f"# machine: {os.cpu_count()} CPUs, {cpu}, {platform.system()} {platform.release()}",
        f"# Python {platform.python_version()}; {versions}",
    ]


if __name__ == "__main__":
    main()
