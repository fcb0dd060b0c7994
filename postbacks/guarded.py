"""Connections for customer URLs that go exactly where the address guard looked.

Each new connection resolves its host once through `ssrf.public_addresses` (which refuses the
name unless every address is public) and connects to one of those addresses by number, so there
is no second lookup for a rebinding name to change its answer in. The URL is left as it is: the
Host header, TLS SNI and certificate checks still use the host name. Two transports do this:
`PinnedAdapter` for requests (the delivery machine's `HttpClient`) and `PinnedResolver` for
aiohttp (the batched sender). Guarded requests never go through an environment proxy, which
would resolve the name again out of the guard's sight.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import weakref
from collections.abc import Mapping
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util import connection

from hazelnut.http import HttpClient
from postbacks import ssrf


def _connect(conn: HTTPConnection) -> socket.socket:
    failure: OSError | None = None
    for address in ssrf.public_addresses(conn.host, conn.port):
        try:
            return connection.create_connection(
                (str(address), conn.port),
                conn.timeout,
                source_address=conn.source_address,
                socket_options=conn.socket_options,
            )
        except TimeoutError as exc:
            raise ConnectTimeoutError(conn, f"Connection to {conn.host} timed out.") from exc
        except OSError as exc:
            failure = exc
    raise NewConnectionError(conn, f"Failed to establish a new connection: {failure}")


class PinnedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        return _connect(self)


class PinnedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        return _connect(self)


class PinnedHTTPPool(HTTPConnectionPool):
    ConnectionCls = PinnedHTTPConnection


class PinnedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = PinnedHTTPSConnection


class PinnedAdapter(HTTPAdapter):
    """A requests transport whose every connection is pinned to a checked address."""

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": PinnedHTTPPool, "https": PinnedHTTPSPool}

    def send(
        self,
        request: PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> Response:
        return super().send(request, stream, timeout, verify, cert, proxies=None)


_siblings: weakref.WeakKeyDictionary[HttpClient, HttpClient] = weakref.WeakKeyDictionary()
_siblings_lock = threading.Lock()


def client_like(client: HttpClient) -> HttpClient:
    """A client with `client`'s timeouts and breaker whose connections are pinned."""
    with _siblings_lock:
        sibling = _siblings.get(client)
        if sibling is None:
            connect, read = client.timeout
            sibling = HttpClient(
                timeout_seconds=read,
                connect_timeout_seconds=connect,
                breaker=client.breaker,
                user_agent="hazelnut-postbacks/1",
                adapter=PinnedAdapter(),
            )
            _siblings[client] = sibling
        return sibling


class PinnedResolver(AbstractResolver):
    """aiohttp's name lookup, refused unless every address is public; aiohttp then connects
    only to the addresses returned here (and names the host for TLS)."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        loop = asyncio.get_running_loop()
        addresses = await loop.run_in_executor(None, ssrf.public_addresses, host, port)
        results: list[ResolveResult] = []
        for address in addresses:
            found = socket.AF_INET6 if address.version == 6 else socket.AF_INET
            if family in (socket.AF_UNSPEC, found):
                results.append(
                    ResolveResult(
                        hostname=host,
                        host=str(address),
                        port=port,
                        family=found,
                        proto=0,
                        flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
                    )
                )
        if not results:
            raise OSError(f"{host} has no address of the asked family")
        return results

    async def close(self) -> None:
        return None


def connector(limit: int) -> aiohttp.TCPConnector:
    """An aiohttp connector for guarded requests, pinned through `PinnedResolver`."""
    return aiohttp.TCPConnector(limit=limit, resolver=PinnedResolver())
