"""``spofdrill host SCENARIO``: host a team drill (``spofdrill join URL`` is the console's, in ``tui/main.py``)."""

from __future__ import annotations

import argparse

from engine.cli.common import InputError
from engine.scenario.loader import load_scenario
from engine.scenario.loader.sizes import check_runnable


def cmd_host(args: argparse.Namespace) -> int:
    from engine.team.serve import parse_bind, run

    try:
        parse_bind(args.bind)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    scenario = load_scenario(args.scenario)
    check_runnable(scenario, args.scenario)  # a big imported architecture: refused before anyone joins
    try:
        return run(scenario, args.seed, args.bind, destructive_by=args.destructive_by, speed=args.speed)
    except OSError as exc:  # the address is taken, or not ours to bind
        raise InputError(f"host: cannot listen on {args.bind}: {exc.strerror or exc}") from None


def add_host_parser(sub) -> None:
    from engine.team.protocol import SPEEDS
    from engine.team.serve import DEFAULT_BIND

    p = sub.add_parser("host", help="host a team drill: a facilitator, responders and observers join with 'spofdrill join'")
    p.add_argument("scenario", help="a built-in scenario name or a YAML file")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--bind", default=DEFAULT_BIND, metavar="HOST:PORT",
                   help=f"where to listen (default {DEFAULT_BIND}, loopback; port 0 picks a free one)")
    p.add_argument("--destructive-by", choices=("responders", "commander"), default="responders",
                   help="who may issue destructive commands (default: the commander and the operators)")
    p.add_argument("--speed", type=float, choices=SPEEDS, default=1.0, help="the speed the clock starts at (default 1)")
    p.set_defaults(func=cmd_host)
