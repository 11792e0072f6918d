"""`ordergraph serve`: uvicorn on a listening socket made here, in one process or N (design.md, Operating it).

The socket is made here, not by uvicorn, for its TCP_NODELAY. asyncio turns Nagle's algorithm off
for each accepted connection only when the listening socket says it is TCP (`proto`), and the
socket uvicorn binds for `--workers N` does not: every response written in two parts (headers, then
body) then waited for the client's delayed ACK, ~40 ms a request. This socket is TCP, has
TCP_NODELAY set (accepted connections inherit it) and SO_REUSEADDR (a restart need not wait for
TIME_WAIT), and every worker process gets it.

With several workers each worker process listens on a socket of its own on that address
(SO_REUSEPORT, `WorkerSocket`), so the kernel spreads connections over the workers.

Each worker configures its logging through uvicorn's `log_config` (`logs.dict_config`); with
several workers, PROMETHEUS_MULTIPROC_DIR names a fresh folder that `/metrics` sums over.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from typing import TypeVar

import uvicorn
from uvicorn.supervisors import Multiprocess

from models.settings import Settings
from schema import logs, metrics
from schema.command_errors import CommandError

APP_FACTORY = "schema.app:create_app"
Socket = TypeVar("Socket", bound=socket.socket)
# uvicorn's exit code for an app that did not start.
STARTUP_FAILURE = 3


def serve(*, host: str, port: int, workers: int, settings: Settings) -> int:
    """Serve until stopped; the exit code (non-zero when the app did not start)."""
    config = uvicorn.Config(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=logs.dict_config(settings),
        access_log=False,  # `logs.RequestLog` writes the one line per request
    )
    listening = worker_socket(host, port) if workers > 1 else listening_socket(host, port)
    try:
        if workers > 1:
            with _shared_metrics_folder():
                Multiprocess(config, sockets=[listening]).run()
            return 0
        server = uvicorn.Server(config)
        server.run(sockets=[listening])
        return 0 if server.started else STARTUP_FAILURE
    finally:
        listening.close()


def listening_socket(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    """A bound TCP socket with TCP_NODELAY and SO_REUSEADDR (and SO_REUSEPORT if asked), inheritable."""
    return _bound(socket.socket, host, port, reuse_port=reuse_port)


class WorkerSocket(socket.socket):
    """The address of `serve --workers N`: each worker process it is handed to listens on a socket of its own.

    One socket shared by the workers left them unevenly loaded: the worker whose event loop woke first
    accepted every connection waiting (asyncio accepts up to the backlog at once) and kept-alive
    connections stay where they landed; measured with 32 clients, one worker did three times the work
    of the other. Sockets of their own with SO_REUSEPORT let the kernel spread new connections over the
    workers, and a worker that exits takes its socket with it. This one, the supervisor's, is bound (the
    address is checked and held) but never listens, so no connection waits on it.
    """

    def __reduce_ex__(self, protocol: object) -> tuple[object, tuple[str, int]]:
        host, port = self.getsockname()[:2]
        return _own_listening_socket, (host, port)  # what a spawned worker unpickles: a socket of its own


def worker_socket(host: str, port: int) -> WorkerSocket:
    """The supervisor's `WorkerSocket`; refuses an address in use, even by another server sharing ports."""
    if port != 0:
        _bound(socket.socket, host, port, reuse_port=False).close()  # SO_REUSEPORT alone would share it
    return _bound(WorkerSocket, host, port, reuse_port=True)


def _own_listening_socket(host: str, port: int) -> socket.socket:
    return listening_socket(host, port, reuse_port=True)


def _bound(kind: type[Socket], host: str, port: int, *, reuse_port: bool) -> Socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = kind(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listening.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        listening.bind((host, port))
    except OSError as error:
        listening.close()
        if error.errno == errno.EADDRINUSE:
            raise CommandError(
                f"{host}:{port} is already in use: stop what listens there or pick another --port"
            ) from error
        raise CommandError(f"cannot listen on {host}:{port}: {error.strerror or error}") from error
    listening.set_inheritable(True)
    return listening


@contextlib.contextmanager
def _shared_metrics_folder() -> Iterator[None]:
    """PROMETHEUS_MULTIPROC_DIR for the workers: a fresh folder, removed afterwards (unless the caller set one)."""
    if os.environ.get(metrics.MULTIPROCESS_DIR_VARIABLE):
        yield
        return
    folder = tempfile.mkdtemp(prefix="ordergraph-metrics-")
    os.environ[metrics.MULTIPROCESS_DIR_VARIABLE] = folder
    try:
        yield
    finally:
        del os.environ[metrics.MULTIPROCESS_DIR_VARIABLE]
        shutil.rmtree(folder, ignore_errors=True)
