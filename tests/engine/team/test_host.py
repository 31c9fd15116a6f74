"""A team drill end to end: a real host process on loopback and real websocket clients.

Everything is asserted on simulated time and on what the host answers, never on wall-clock durations.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys

import aiohttp
import pytest

from engine.records.recorded import read_recorded_drill
from engine.records.recovery import find_interrupted, rebuild
from engine.records.replay import replay
from engine.sim.journal import read_jsonl
from engine.team.client import HostGone, TeamClient
from engine.util.limits import MAX_TEAM_MESSAGE_BYTES


async def joined(url: str, name: str, role: str) -> TeamClient:
    client = TeamClient(url, name, role)
    await client.connect()
    return client


async def start(host, speed: float = 60) -> TeamClient:
    facilitator = await joined(host.facilitator, "gm", "facilitator")
    assert (await facilitator.control("speed", speed=speed))["type"] == "done"
    assert (await facilitator.control("resume"))["paused"] is False
    return facilitator


async def test_two_responders_act_at_once_and_the_journal_names_them(host) -> None:
    facilitator = await start(host)
    ana = await joined(host.join, "ana", "commander")
    bo = await joined(host.join, "bo", "operator")
    await ana.wait_for(lambda c: c.snapshot is not None and any(a.rule == "InstanceDown" for a in c.snapshot.firing()))
    first, second = await asyncio.gather(ana.command("failover", "web-vip"), bo.command("logs", "lb-1"))
    assert first["type"] == "receipt" and first["accepted"], first
    assert second["type"] == "receipt" and second["accepted"], second
    await bo.wait_for(lambda c: any(e["type"] == "CommandIssued" and e.get("by") == "ana" for e in c.entries))
    # the responders see what monitoring sees; the facilitator the truth and the hidden events
    assert ana.snapshot.visibility == "observed" and facilitator.snapshot.visibility == "truth"
    assert any(e["type"] == "FaultInjected" for e in facilitator.entries)
    assert not any(e["type"] == "FaultInjected" for e in ana.entries + bo.entries)
    assert (await facilitator.control("end"))["type"] == "done"
    await ana.wait_for(lambda c: c.ended is not None)
    assert host.process.wait(20) == 0
    # the journal on disk is complete, names who did what and replays byte for byte
    text = host.journal.read_text()
    rows = read_jsonl(text)
    issued = {(r["command"], r.get("by")) for r in rows if r["type"] == "CommandIssued"}
    assert {("failover", "ana"), ("logs", "bo")} <= issued
    drill = read_recorded_drill(host.journal)
    assert replay(drill.scenario, drill.seed, drill.transcript).journal.to_jsonl() == text
    verify = subprocess.run([sys.executable, "-m", "engine.cli.main", "verify", str(host.journal)],
                            capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    for client in (facilitator, ana, bo):
        await client.close()


async def test_roles_are_enforced_by_the_host(host, data_dir) -> None:
    facilitator = await start(host, speed=10)
    eve = await joined(host.join, "eve", "observer")
    ops = await joined(host.join, "ops", "operator")
    await eve.wait_for(lambda c: c.snapshot is not None)
    answer = await eve.command("logs", "lb-1")
    assert answer["type"] == "refused" and "observers" in answer["reason"]
    assert (await eve.control("pause"))["type"] == "refused"
    assert "facilitator" in (await ops.control("end"))["reason"]
    assert "facilitator" in (await ops.command("hint"))["reason"]
    assert "responders" in (await facilitator.command("restart", "lb-1"))["reason"]
    hint = await facilitator.command("hint")  # hints are the facilitator's
    assert hint["type"] == "receipt" and hint["accepted"], hint
    await eve.wait_for(lambda c: c.snapshot.hints_revealed)
    assert eve.snapshot.visibility == "observed"
    # a participant may not take the facilitator's role with the join secret
    with pytest.raises(HostGone, match="facilitator's secret"):
        await joined(host.join, "mallory", "facilitator")
    for client in (facilitator, eve, ops):
        await client.close()
    assert "refused eve (observer)" in host.log_text()


async def test_wrong_or_missing_secret_is_refused(host) -> None:
    base = host.join.split("?")[0]
    with pytest.raises(HostGone, match="wrong join secret"):
        await joined(base + "?secret=guess", "x", "operator")
    with pytest.raises(ValueError, match="secret is needed"):
        TeamClient(base, "x", "operator")
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(base) as ws:
            await ws.send_str(json.dumps({"v": 1, "type": "hello", "name": "x", "role": "operator"}))
            reply = json.loads((await ws.receive()).data)
            assert reply["type"] == "refused" and "secret is needed" in reply["reason"]
        async with session.ws_connect(base) as ws:  # a lone surrogate: not UTF-8, still just a wrong secret
            await ws.send_str('{"v": 1, "type": "hello", "name": "x", "role": "operator", "secret": "\\ud800"}')
            reply = json.loads((await ws.receive()).data)
            assert reply["type"] == "refused" and "wrong join secret" in reply["reason"]
    assert "wrong join secret" in host.log_text()


async def test_a_killed_client_rejoins_with_its_name_and_role_and_sees_now(host) -> None:
    facilitator = await start(host, speed=10)
    script = (
        "import asyncio, sys\n"
        "from engine.team.client import TeamClient\n"
        "async def main():\n"
        f"    c = TeamClient({host.join!r}, 'cy', 'commander')\n"
        "    await c.connect()\n"
        "    await c.wait_for(lambda c: c.snapshot is not None)\n"
        "    print('joined', c.role, flush=True)\n"
        "    await asyncio.sleep(60)\n"
        "asyncio.run(main())\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().split() == ["joined", "commander"]
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    await facilitator.wait_for(lambda c: c.snapshot.t > 20)
    was = facilitator.snapshot.t
    back = await joined(host.join, "cy", "observer")  # asks another role: keeps the one it had
    assert back.role == "commander"
    await back.wait_for(lambda c: c.snapshot is not None)
    assert back.snapshot.t >= was  # the drill went on without them; they see the current state
    assert back.entries and back.entries[0]["type"] == "DrillStarted"  # and the timeline so far
    receipt = await back.command("logs", "app-1")
    assert receipt["accepted"], receipt
    for client in (facilitator, back):
        await client.close()


async def test_garbage_floods_and_oversized_messages_are_refused_while_the_drill_runs(host) -> None:
    facilitator = await start(host, speed=10)
    ops = await joined(host.join, "ops", "operator")
    await ops.wait_for(lambda c: c.snapshot is not None)
    before = ops.snapshot.t

    async def garbage(index: int) -> str:
        payloads = [b"\x00\xff binary", "not json", "[1,2]", json.dumps({"v": 99, "type": "hello"}),
                    "x" * (2 * MAX_TEAM_MESSAGE_BYTES), json.dumps({"v": 1, "type": "command"}), "{" * 100_000]
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(host.url) as ws:
                payload = payloads[index % len(payloads)]
                await (ws.send_bytes(payload) if isinstance(payload, bytes) else ws.send_str(payload))
                reply = await ws.receive()
                return json.loads(reply.data)["reason"] if reply.type == aiohttp.WSMsgType.TEXT else str(reply.type)

    reasons = await asyncio.gather(*(garbage(i) for i in range(20)))
    assert all(reasons), reasons
    assert any("hello" in r for r in reasons) and any("version" in r for r in reasons)

    # a joined participant's bad messages are refused one by one, and it stays connected
    for raw, words in [("nonsense", "not JSON"), (json.dumps({"v": 1, "type": "teleport"}), "unknown message type"),
                       ("y" * (MAX_TEAM_MESSAGE_BYTES + 1), "over the limit"), (json.dumps({"v": 2, "type": "x"}), "version")]:
        ops.refusals.clear()
        await ops.send_raw(raw)
        await ops.wait_for(lambda c: c.refusals, timeout=10)
        assert words in ops.refusals[0], ops.refusals
    unknown = await ops.command("selfdestruct", "lb-1")
    assert unknown["type"] == "refused" and "selfdestruct" in unknown["reason"]
    ops.refusals.clear()
    for _ in range(200):  # a flood
        await ops.send_raw(json.dumps({"v": 1, "type": "teleport"}))
    await ops.wait_for(lambda c: any("too many messages" in r for r in c.refusals), timeout=10)
    await asyncio.sleep(2.5)  # the bucket refills (at the rate the limit declares)
    receipt = await ops.command("logs", "lb-1")
    assert receipt["type"] == "receipt" and receipt["accepted"], receipt
    await ops.wait_for(lambda c: c.snapshot.t > before + 5)  # the drill ran on throughout
    assert host.process.poll() is None
    log = host.log_text()
    assert "too many messages" in log and "over the limit" in log and "Traceback" not in log
    for client in (facilitator, ops):
        await client.close()


async def test_a_killed_host_is_noticed_and_its_drill_recovered(host, data_dir) -> None:
    facilitator = await start(host, speed=10)
    ana = await joined(host.join, "ana", "commander")
    await ana.wait_for(lambda c: c.snapshot is not None and c.snapshot.t > 30)
    assert (await ana.command("logs", "app-1"))["accepted"]
    await facilitator.wait_for(lambda c: c.snapshot.t > 40)
    seen = facilitator.snapshot.t
    host.process.send_signal(signal.SIGKILL)
    host.process.wait(10)
    with pytest.raises(HostGone, match="went away"):
        await ana.wait_for(lambda c: False, timeout=10)
    with pytest.raises(HostGone):
        await ana.command("logs", "lb-1")
    [drill] = find_interrupted(data_dir / "journals")
    assert drill.recoverable, drill.problem
    sim = rebuild(drill)
    assert sim.now >= seen - 1.5  # at most about a second lost (flushes a simulated second apart)
    assert any(e.type == "CommandIssued" and e.data.get("by") == "ana" for e in sim.journal)
    for client in (facilitator, ana):
        await client.close()


async def test_the_facilitator_injects_a_fault_and_writes_a_note_and_the_journal_verifies(host) -> None:
    facilitator = await start(host, speed=10)
    ana = await joined(host.join, "ana", "commander")
    await facilitator.wait_for(lambda c: c.snapshot is not None and c.snapshot.t > 10)
    assert (await ana.act("inject", "app-1", {"type": "crash"}))["type"] == "refused"  # not a responder's
    refused = await facilitator.act("inject", "app-1", {"type": "meteor"})
    assert refused["type"] == "refused" and "palette" in refused["reason"]
    assert (await facilitator.act("inject", "app-1", {"type": "crash"}))["type"] == "done"
    assert (await facilitator.act("note", None, {"text": "pause here: what changed?"}))["type"] == "done"
    # the responders see the note, not the injection; monitoring shows them app-1 going down
    await ana.wait_for(lambda c: any(e["type"] == "FacilitatorActed" and e["op"] == "note" for e in c.entries))
    assert not any(e["type"] == "FacilitatorActed" and e["op"] == "inject" for e in ana.entries)
    await ana.wait_for(lambda c: c.snapshot.node("app-1").state in ("down", "no data"))
    assert any(e["type"] == "FacilitatorActed" and e["op"] == "inject" and e["by"] == "gm" for e in facilitator.entries)
    await facilitator.control("end")
    assert host.process.wait(20) == 0
    verify = subprocess.run([sys.executable, "-m", "engine.cli.main", "verify", str(host.journal)],
                            capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    for client in (facilitator, ana):
        await client.close()


async def test_destructive_commands_can_be_kept_for_the_commander(data_dir) -> None:
    from team_support import start_host

    started = start_host(data_dir, "--destructive-by", "commander")
    try:
        ops = await joined(started.join, "ops", "operator")
        ic = await joined(started.join, "ic", "commander")
        refused = await ops.command("restart", "lb-2")
        assert refused["type"] == "refused" and "only the incident commander" in refused["reason"]
        assert (await ops.command("logs", "lb-2"))["type"] == "receipt"  # investigating is everyone's
        receipt = await ic.command("restart", "lb-2")
        assert receipt["type"] == "receipt", receipt  # the engine's own check decides from here
        for client in (ops, ic):
            await client.close()
    finally:
        started.process.kill()
        started.process.wait(10)


async def test_a_note_that_looks_like_protocol_stays_text(host) -> None:
    facilitator = await joined(host.facilitator, "gm", "facilitator")
    text = 'x","snapshot":null,"y":"'
    assert (await facilitator.act("note", None, {"text": text}))["type"] == "done"
    await facilitator.wait_for(lambda c: any(e["type"] == "FacilitatorActed" for e in c.entries))
    assert [e["args"]["text"] for e in facilitator.entries if e["type"] == "FacilitatorActed"] == [text]
    assert facilitator.snapshot is not None
    await facilitator.close()


async def test_a_command_given_during_a_pause_survives_a_killed_host(host, data_dir) -> None:
    ana = await joined(host.join, "ana", "commander")  # nobody has started the clock: the drill is paused at 0
    assert (await ana.command("logs", "lb-1"))["accepted"]
    await asyncio.sleep(1.5)  # the host flushes at least every wall second
    host.process.send_signal(signal.SIGKILL)
    host.process.wait(10)
    [drill] = find_interrupted(data_dir / "journals")
    assert drill.recoverable, drill.problem
    assert [c.by for c in drill.transcript.commands] == ["ana"]
    await ana.close()
