"""A participant's connection to a team-drill host (aiohttp websocket client), with no user interface.

:class:`TeamClient` joins (hello with the secret from the link), then a reader task keeps the newest
state: the snapshot (rebuilt as frozen views by :mod:`engine.team.codec`), the journal entries the role
may read, paused and speed. Requests (:meth:`command`, :meth:`preview`, :meth:`control`) wait for the
answer with the same ``ref``. When the host goes away, :attr:`gone` says why and every waiting request
fails with :class:`HostGone` instead of hanging. The console's remote session and the tests use it.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import aiohttp

from engine.sim.snapshot import Snapshot
from engine.team.codec import CodecError, decode_snapshot
from engine.team.protocol import VERSION, ProtocolError, message

CONNECT_SECONDS = 10.0
MAX_STATE_BYTES = 16 * 1024 * 1024
"""A message from the host at most (a state with a rejoin's journal entries is well under a megabyte)."""
REQUEST_SECONDS = 10.0


class HostGone(ConnectionError):
    """The host closed the connection, stopped or could not be reached; the message says which."""


def split_link(url: str, secret: str | None = None) -> tuple[str, str]:
    """The websocket address and the secret from a join link (``ws://HOST:PORT/drill?secret=S``) or ``secret``."""
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss", "http", "https") or not parts.netloc:
        raise ValueError(f"{url}: not a join link (ws://HOST:PORT/drill?secret=…)")
    found = parse_qs(parts.query).get("secret", [None])[0]
    secret = secret or found
    if not secret:
        raise ValueError("a join secret is needed: the link's ?secret=… or --secret")
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, parts.path or "/drill", "", "")), secret


class TeamClient:
    """One participant's connection."""

    def __init__(self, url: str, name: str, role: str = "operator", secret: str | None = None) -> None:
        self.url, self._secret = split_link(url, secret)
        self.name = name
        self.asked_role = role
        self.role: str | None = None
        self.welcome: dict[str, Any] = {}
        self.snapshot: Snapshot | None = None
        self.entries: list[dict[str, Any]] = []
        self.paused = True
        self.speed = 1.0
        self.ended: dict[str, Any] | None = None
        self.refusals: list[str] = []
        """Refusals that answered no request (a rate limit, a message the host could not read)."""
        self.gone: str | None = None
        self.changed = asyncio.Event()
        """Set whenever a state arrives or the connection ends (the reader clears nothing: callers clear it)."""
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task | None = None
        self._refs = itertools.count(1)
        self._waiting: dict[int, asyncio.Future] = {}

    async def connect(self) -> dict[str, Any]:
        """Join: the welcome (name, role, scenario, seed), or :class:`HostGone` with the host's reason."""
        self._session = aiohttp.ClientSession()
        try:
            self._ws = await self._session.ws_connect(self.url, timeout=aiohttp.ClientWSTimeout(ws_close=2.0),
                                                      heartbeat=10.0, max_msg_size=MAX_STATE_BYTES)
            await self._ws.send_str(message("hello", name=self.name, role=self.asked_role, secret=self._secret))
            reply = await asyncio.wait_for(self._ws.receive(), CONNECT_SECONDS)
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            await self.close()
            raise HostGone(f"cannot reach the host at {self.url}: {exc or type(exc).__name__}") from None
        data = self._parse(reply)
        if data is None or data.get("type") != "welcome":
            reason = (data or {}).get("reason") or "the host closed the connection"
            await self.close()
            raise HostGone(f"refused: {reason}")
        self.welcome = data
        self.role = data.get("role")
        self._reader = asyncio.create_task(self._read())
        return data

    def _parse(self, msg: aiohttp.WSMessage) -> dict[str, Any] | None:
        if msg.type != aiohttp.WSMsgType.TEXT:
            return None
        try:
            return _read_message(msg.data)
        except ProtocolError:
            return None

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for msg in self._ws:
                data = self._parse(msg)
                if data is None:
                    continue
                self._take(data)
            code = self._ws.close_code
            self.gone = self.gone or f"the host went away (connection closed{f', code {code}' if code else ''})"
        except (aiohttp.ClientError, OSError, asyncio.CancelledError) as exc:
            self.gone = self.gone or f"the host went away ({exc or type(exc).__name__})"
        finally:
            self.gone = self.gone or "the host went away"
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(HostGone(self.gone))
            self._waiting.clear()
            self.changed.set()

    def _take(self, data: dict[str, Any]) -> None:
        kind = data.get("type")
        if kind == "state":
            try:
                self.snapshot = decode_snapshot(data.get("snapshot"))
            except CodecError:
                return
            self.entries.extend(e for e in data.get("entries") or () if isinstance(e, dict))
            self.paused, self.speed = bool(data.get("paused")), float(data.get("speed") or 1.0)
            self.changed.set()
            return
        if kind == "ended":
            self.ended = data
            self.changed.set()
            return
        if kind == "bye":
            self.gone = str(data.get("reason") or "the host went away")
            return
        future = self._waiting.pop(data.get("ref"), None) if isinstance(data.get("ref"), int) else None
        if future is not None and not future.done():
            future.set_result(data)
        elif kind == "refused":
            self.refusals.append(str(data.get("reason")))
            self.changed.set()

    async def request(self, type: str, **fields: Any) -> dict[str, Any]:
        """Send a request and wait for its answer (``receipt``, ``preview``, ``done`` or ``refused``)."""
        if self.gone or self._ws is None:
            raise HostGone(self.gone or "not connected")
        ref = next(self._refs)
        future = asyncio.get_running_loop().create_future()
        self._waiting[ref] = future
        try:
            await self._ws.send_str(message(type, ref=ref, **fields))
        except (aiohttp.ClientError, ConnectionError, RuntimeError) as exc:
            self._waiting.pop(ref, None)
            raise HostGone(f"the host went away ({exc})") from None
        return await asyncio.wait_for(future, REQUEST_SECONDS)

    async def command(self, command: str, target: str | None = None, args: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.request("command", command=command, target=target, args=args or {})

    async def preview(self, command: str, target: str | None = None, args: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.request("preview", command=command, target=target, args=args or {})

    async def control(self, op: str, **fields: Any) -> dict[str, Any]:
        return await self.request("control", op=op, **fields)

    async def act(self, op: str, target: str | None = None, args: dict[str, Any] | None = None) -> dict[str, Any]:
        """The facilitator's ``inject`` (a fault on ``target``, ``args`` its type and fields) or ``note``."""
        return await self.request("act", op=op, target=target, args=args or {})

    async def send_raw(self, data: str | bytes) -> None:
        """Send anything (tests of the host's refusals)."""
        assert self._ws is not None
        if isinstance(data, bytes):
            await self._ws.send_bytes(data)
        else:
            await self._ws.send_str(data)

    async def wait_for(self, predicate, timeout: float = 20.0) -> None:
        """Wait until ``predicate(self)`` holds (checked at each state), or TimeoutError; HostGone if the host goes."""
        async def until() -> None:
            while not predicate(self):
                if self.gone:
                    raise HostGone(self.gone)
                self.changed.clear()
                await self.changed.wait()
        await asyncio.wait_for(until(), timeout)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self._ws is not None:
            await self._ws.close()
        if self._session is not None:
            await self._session.close()


def _read_message(text: str) -> dict[str, Any]:
    """A message from the host (a state is larger than a participant may send): JSON, an object, this version."""
    import json

    from engine.util.jsontext import parse_json

    try:
        data = parse_json(text)
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"not JSON ({exc.msg})") from None
    if not isinstance(data, dict) or data.get("v") != VERSION:
        raise ProtocolError("not a message of this protocol version")
    return data
