"""The ``spofdrill`` command: the console without a command, headless commands otherwise."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

def headless_commands() -> list[str]:
    """The headless commands, as :func:`engine.cli.build_parser` declares them."""
    from engine.cli.main import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return list(sub.choices)


def replay_main(argv: Sequence[str]) -> int:
    """``spofdrill replay``: 2 and a message naming the file when it cannot be replayed."""
    from .playback import RecordingError, read_recording, replay_parser

    try:
        options = replay_parser().parse_args(list(argv))
    except SystemExit as exc:  # argparse has printed the usage and the problem
        return int(exc.code or 0)
    try:
        recording = read_recording(options.file)
    except RecordingError as exc:
        print(f"spofdrill replay: {exc}", file=sys.stderr)
        return 2
    from .app import SpofdrillApp

    app = SpofdrillApp(replay=recording, replay_speed=options.speed, trainee=recording.trainee)
    app.run()
    return app.return_code or 0


def join_main(argv: Sequence[str]) -> int:
    """``spofdrill join URL --name NAME``: the console of a team drill hosted with ``spofdrill host``."""
    from engine.cli.main import WordWrapFormatter
    from engine.team.protocol import ROLES, ProtocolError, check_name

    parser = argparse.ArgumentParser(prog="spofdrill join", formatter_class=WordWrapFormatter,
                                     description="Join a team drill: the link the host printed, and your name.")
    parser.add_argument("url", help="the join link (ws://HOST:PORT/drill?secret=…)")
    parser.add_argument("--name", required=True, help="your name in the drill (rejoin with the same name)")
    parser.add_argument("--role", choices=ROLES, default="operator", help="your role (default operator)")
    parser.add_argument("--secret", help="the join secret, when the link has none")
    try:
        options = parser.parse_args(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    from .remote import RemoteSession

    try:
        remote = RemoteSession(options.url, check_name(options.name), options.role, options.secret)
    except (ValueError, ProtocolError) as exc:
        print(f"spofdrill join: {exc}", file=sys.stderr)
        return 2
    from .app import SpofdrillApp

    app = SpofdrillApp(remote=remote, trainee=remote.name, keep_journal=False)
    app.run()
    return app.return_code or 0


def serve_main(argv: Sequence[str]) -> int:
    """``spofdrill serve``: the console (or a team drill's, with ``--join``) in a browser, behind a secret link."""
    from engine.cli.main import WordWrapFormatter
    from engine.team.protocol import ROLES, ProtocolError, check_name
    from engine.team.serve import parse_bind

    from .web import DEFAULT_BIND

    parser = argparse.ArgumentParser(
        prog="spofdrill serve", formatter_class=WordWrapFormatter,
        description=("Serve the console to web browsers (textual-serve): each browser that opens the printed link "
                     "gets its own console. The link carries a random secret; without it the server admits nobody "
                     "(403). It listens on loopback unless --bind says otherwise, over plain HTTP: on another "
                     "address, anyone who can read the traffic can read the link."),
    )
    parser.add_argument("--bind", default=DEFAULT_BIND, metavar="HOST:PORT",
                        help=f"where to listen (default {DEFAULT_BIND}, loopback; port 0 picks a free one)")
    parser.add_argument("--join", metavar="URL", help="serve a team drill's console: the join link 'spofdrill host' printed")
    parser.add_argument("--name", help="with --join: the participant's name in the drill")
    parser.add_argument("--role", choices=ROLES, default="operator", help="with --join: the role (default operator)")
    try:
        options = parser.parse_args(list(argv))
        parse_bind(options.bind)
    except SystemExit as exc:
        return int(exc.code or 0)
    except ValueError as exc:
        print(f"spofdrill serve: {exc}", file=sys.stderr)
        return 2
    join: list[str] = []
    if options.join:
        from engine.team.client import split_link

        try:
            split_link(options.join)
            name = check_name(options.name or "")
        except (ValueError, ProtocolError) as exc:
            print(f"spofdrill serve: --join: {exc}", file=sys.stderr)
            return 2
        join = ["join", options.join, "--name", name, "--role", options.role]
    elif options.name:
        print("spofdrill serve: --name goes with --join", file=sys.stderr)
        return 2
    from .web import console_command, run

    try:
        return run(console_command(join), options.bind)
    except OSError as exc:  # the address is taken, or not ours to bind
        print(f"spofdrill serve: cannot listen on {options.bind}: {exc.strerror or exc}", file=sys.stderr)
        return 2


def console_parser() -> argparse.ArgumentParser:
    from engine.cli.main import WordWrapFormatter

    parser = argparse.ArgumentParser(
        prog="spofdrill",
        description=("Open the drill console (spofdrill drill SCENARIO opens one scenario; spofdrill replay "
                     f"BUNDLE|JOURNAL plays a drill back; spofdrill join URL joins a team drill; spofdrill serve serves the console to browsers; headless commands: spofdrill COMMAND, where COMMAND is "
                     f"one of {', '.join(headless_commands())})."),
        formatter_class=WordWrapFormatter,
    )
    parser.add_argument("scenario", nargs="?", help="with 'drill': a built-in scenario name or a YAML file")
    parser.add_argument("--scenarios", metavar="DIR", action="append", default=[], help="also offer the scenarios in DIR")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--assess", action="store_true", help="assessment mode: no pause, no speed-up, no hints")
    parser.add_argument(
        "--trainee", metavar="NAME",
        help="name recorded with the results, for this run (default: the name kept from the last assessment; --assess asks once)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "replay":
        return replay_main(args[1:])
    if args and args[0] == "join":
        return join_main(args[1:])
    if args and args[0] == "serve":
        return serve_main(args[1:])
    drill = bool(args) and args[0] == "drill"
    if drill:
        args = args[1:]
    if not drill and args and not args[0].startswith("-"):
        from engine.cli.main import main as headless

        return headless(args)
    if not drill and any(a in ("-h", "--help") for a in args):
        console_parser().print_help()
        print("\nheadless commands:")
        from engine.cli.main import build_parser

        build_parser().print_help()
        return 0
    options = console_parser().parse_args(args)
    if options.scenario and not drill:
        print("spofdrill: to open one scenario directly use 'spofdrill drill SCENARIO'", file=sys.stderr)
        return 2
    if drill and not options.scenario:
        print("spofdrill drill: name a scenario (see 'spofdrill list')", file=sys.stderr)
        return 2
    extra = []
    for folder in options.scenarios:
        path = Path(folder).expanduser()
        if not path.is_dir():
            print(f"spofdrill: --scenarios {folder}: not a directory", file=sys.stderr)
            return 2
        extra.append(path)
    if options.trainee is not None:
        from engine.records.trainee import TraineeNameError, check_name

        try:
            options.trainee = check_name(options.trainee)
        except TraineeNameError as exc:
            print(f"spofdrill: --trainee: {exc}", file=sys.stderr)
            return 2
    scenario = None
    if options.scenario:
        from engine.scenario.loader import load_scenario
        from engine.scenario.problems import ScenarioError

        from engine.scenario.loader.sizes import check_runnable

        try:
            scenario = load_scenario(options.scenario)
            check_runnable(scenario, options.scenario)  # a big imported architecture: analyse it, do not drill it
        except ScenarioError as exc:
            print(str(exc), file=sys.stderr)
            return 2
    from .app import SpofdrillApp

    app = SpofdrillApp(scenario=scenario, seed=options.seed, extra_dirs=extra, assess=options.assess, trainee=options.trainee)
    app.run()
    if app.return_code:
        return app.return_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
