"""``spofdrill serve`` in a real headless Chromium (Debian's ``chromium``, driven by Playwright).

A real ``spofdrill serve`` process on a free loopback port; the page's xterm.js terminal is read from
its buffer (the page renders to a canvas, so the text is not in the DOM): the picker, a drill started
with keys, the clock bar after ``space`` and ``4``. Without the secret the server answers 403.
``.ci/run`` installs chromium, so this runs in CI; it is skipped only where /usr/bin/chromium is missing.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (.ci/run installs it)")

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# xterm.js's Terminal is not reachable from the page: keep the one textual.js assigns to `this.terminal`.
CATCH_TERMINAL = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "terminal", {value, writable: true, configurable: true, enumerable: true});
    if (value && value.buffer && typeof value.write === "function") window.__terminal = value;
  },
});
"""
SCREEN_TEXT = """() => {
  const t = window.__terminal;
  if (!t) return "";
  const b = t.buffer.active, lines = [];
  for (let y = 0; y < t.rows; y++) { const line = b.getLine(b.viewportY + y); lines.push(line ? line.translateToString(true) : ""); }
  return lines.join("\\n");
}"""


@contextlib.contextmanager
def serving(data_dir: Path, *args: str):
    """A real ``spofdrill serve`` on a free loopback port: its link (with the secret) and its log."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / f"serve-{time.monotonic_ns()}.log"
    process = subprocess.Popen([sys.executable, "-m", "tui.main", "serve", "--bind", "127.0.0.1:0", *args],
                               stdout=subprocess.PIPE, stderr=open(log, "w"), text=True, env=dict(os.environ))
    try:
        deadline = time.monotonic() + 20
        url = None
        while time.monotonic() < deadline and url is None:
            line = process.stdout.readline()
            if not line:
                break
            if line.startswith("ready "):
                url = line.split()[1]
        assert url, f"spofdrill serve did not start: {log.read_text()}"
        yield url, log
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.fixture
def served(data_dir):
    with serving(data_dir) as started:
        yield started


@contextlib.contextmanager
def browser_page(url: str, log: Path, profile: Path):
    """Chromium on the served page (nothing but the server reached); ``screen_with(*words)`` reads the terminal."""
    from playwright.sync_api import sync_playwright

    base = url.split("?")[0]
    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), args=ARGS, headless=True,
            viewport={"width": 1400, "height": 860},
        )
        try:
            page = browser.pages[0] if browser.pages else browser.new_page()
            # Only the server under test: the page also asks Google for a font, which a test must not wait for.
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base)
                       or route.request.url.startswith(base.replace("http", "ws", 1)) else route.abort())
            page.add_init_script(CATCH_TERMINAL)
            page.goto(url)

            def screen_with(*words: str, timeout: float = 20) -> str:
                text = ""
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    text = page.evaluate(SCREEN_TEXT)
                    if all(w in text for w in words):
                        return text
                    page.wait_for_timeout(100)
                raise AssertionError(f"{words} not on the screen:\n{text}\n--- serve log:\n{log.read_text()}")

            yield page, screen_with
        finally:
            browser.close()


def test_without_the_secret_nothing_is_served(served):
    url, log = served
    base = url.split("?")[0]
    for address in (base, base + "?secret=wrong", base + "static/js/textual.js", base + "ws"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(address, timeout=5)
        assert refused.value.code == 403
    with urllib.request.urlopen(url, timeout=5) as page:
        assert page.status == 200 and "textual-terminal" in page.read().decode()
    assert "no or wrong secret" in log.read_text()


@needs_chromium
def test_a_drill_in_the_browser(served, tmp_path):
    url, log = served
    with browser_page(url, log, tmp_path / "chromium-profile") as (page, screen_with):
        screen_with("Choose a drill", "Load balancer crash with a standby")
        page.locator(".xterm-helper-textarea").focus()
        before = page.evaluate(SCREEN_TEXT)
        page.keyboard.press("/")
        deadline = time.monotonic() + 10  # the filter opens before the name is typed
        while page.evaluate(SCREEN_TEXT) == before and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        page.keyboard.type("lb-failover", delay=20)
        page.keyboard.press("Enter")
        screen_with("lb-failover")  # the filtered picker's preview
        page.keyboard.press("Enter")
        screen_with("Briefing", "Load balancer crash with a standby", "Start the clock")
        page.keyboard.press("Enter")
        screen_with("observed", "⏱")
        page.keyboard.press("4")
        screen_with("10×")

        def clock() -> int:
            found = re.search(r"⏱ (\d\d):(\d\d)/10:00", screen_with("⏱"))
            return int(found.group(1)) * 60 + int(found.group(2))

        deadline = time.monotonic() + 20
        while clock() < 5 and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        assert clock() >= 5, "the drill's clock does not run"
        page.keyboard.press(" ")
        text = screen_with("paused")
        for words in ("observed", "Load balancer crash with a standby", "lb-1", "lb-2", "req/s", "error budget"):
            assert words in text, words
        stopped = clock()
        page.wait_for_timeout(800)  # 8 simulated seconds at 10×, had it not paused
        assert clock() == stopped


@needs_chromium
def test_a_team_drill_in_the_browser(data_dir, tmp_path):
    """``serve --join``: a commander's console of a real host's drill in the browser; the facilitator starts the clock."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from engine.team.client import TeamClient
    from team_support import start_host

    host = start_host(data_dir)
    try:
        with serving(data_dir, "--join", host.join, "--name", "bea", "--role", "commander") as (url, log):
            with browser_page(url, log, tmp_path / "chromium-profile") as (page, screen_with):
                text = screen_with("⏱ 00:00/10:00", "paused", "observed", "lb-1", "lb-2")
                assert "Load balancer crash with a standby" in text

                async def facilitate() -> None:
                    gm = TeamClient(host.facilitator, "gm", "facilitator")
                    await gm.connect()
                    assert (await gm.control("speed", speed=10.0))["type"] == "done"
                    assert (await gm.control("resume"))["paused"] is False
                    await gm.close()

                with ThreadPoolExecutor(1) as worker:  # Playwright's sync API holds this thread's event loop
                    worker.submit(asyncio.run, facilitate()).result(30)
                text = screen_with("⏱ 00:1")  # the host's clock, at 10×, on the served console
                assert "paused" not in text.splitlines()[0]
        assert "bea" in host.log_text()
    finally:
        host.process.kill()
        host.process.wait(10)


@pytest.mark.parametrize("args, words", [
    (["--bind", "nonsense"], "expected HOST:PORT"),
    (["--join", "not a link", "--name", "bea"], "not a join link"),
    (["--join", "ws://127.0.0.1:1/drill?secret=s"], "needs a name"),
    (["--name", "bea"], "--name goes with --join"),
])
def test_serve_refuses_bad_arguments(args, words, capsys):
    from tui.main import main

    assert main(["serve", *args]) == 2
    assert words in capsys.readouterr().err
