"""Serving the console to browsers (``spofdrill serve``) through textual-serve, behind a secret.

textual-serve has no authentication of its own: every page, static file and websocket of its aiohttp
application would be open to whoever reaches the port, and each websocket starts a console process.
So :class:`SecretServer` puts a middleware in front of all of it: a request is admitted only with the
random secret as ``?secret=…`` (the printed link) or with the cookie that the first admitted page
sets (``HttpOnly``, ``SameSite=Strict``; the page's static files and websocket carry it, and
textual.js appends its own query to the websocket address, so the secret cannot ride there).
Anything else gets 403 with the reason. It binds to loopback unless told otherwise.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import shlex
import signal
import sys
from typing import Sequence, TextIO

from aiohttp import web
from textual_serve.server import Server

from engine.team.serve import is_loopback, parse_bind

DEFAULT_BIND = "127.0.0.1:8480"
log = logging.getLogger("spofdrill.serve")


def console_command(join: Sequence[str] = ()) -> str:
    """The shell command each browser session runs: this Python's console, or ``join …`` with its arguments."""
    return shlex.join([sys.executable, "-m", "tui.main", *join])


class SecretServer(Server):
    """textual-serve's server with every request checked for the secret."""

    def __init__(self, command: str, secret: str, *, title: str = "spofdrill") -> None:
        super().__init__(command, title=title)
        self.secret = secret
        self.cookie = "spofdrill-serve"

    def admitted(self, request: web.Request) -> bool:
        given = request.query.get("secret") or request.cookies.get(self.cookie) or ""
        return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), self.secret.encode())

    @web.middleware
    async def check_secret(self, request: web.Request, handler):
        if not self.admitted(request):
            log.warning("refused %s %s from %s: no or wrong secret", request.method, request.path, request.remote)
            return web.Response(status=403, text="spofdrill serve: the link's ?secret=… is required\n")
        response = await handler(request)
        if request.query.get("secret") and isinstance(response, web.Response):
            response.set_cookie(self.cookie, self.secret, httponly=True, samesite="Strict", path="/")
        return response

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self.check_secret)
        return app

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        # The page's static and websocket addresses are absolute; build them from the address the
        # browser used (a --bind of 0.0.0.0 is reached under another name). No await before they are used.
        self.public_url = f"{request.scheme}://{request.host}"
        return await super().handle_index(request)

    async def on_startup(self, app: web.Application) -> None:
        """Quiet: :func:`serve` prints the link (textual-serve's banner would not have the secret)."""


async def serve(command: str, bind: str, *, out: TextIO = sys.stdout) -> int:
    """Serve ``command`` to browsers until SIGINT/SIGTERM (then 0)."""
    address, port = parse_bind(bind)
    server = SecretServer(command, secrets.token_urlsafe(16))
    runner = web.AppRunner(await server._make_app(), handle_signals=False, access_log=None, shutdown_timeout=5)
    await runner.setup()
    site = web.TCPSite(runner, address, port)
    await site.start()
    bound = runner.addresses[0]
    shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
    server.cookie = f"spofdrill-serve-{bound[1]}"  # cookies ignore the port: one per server on this host
    url = f"http://{shown}:{bound[1]}/?secret={server.secret}"
    if not is_loopback(address):
        print(f"warning: listening on {address}: anyone on that network with the link can open the console", file=out)
    print(f"spofdrill serve: open {url} in a browser (Ctrl+C stops)", file=out)
    print(f"ready {url}", file=out, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()
    print("spofdrill serve: stopped", file=out, flush=True)
    return 0


def run(command: str, bind: str) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    return asyncio.run(serve(command, bind))
