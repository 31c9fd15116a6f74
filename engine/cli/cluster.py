"""``--cluster ADDRESS`` (or ``$SPOFDRILL_CLUSTER``): a command's simulations run on a Dask cluster.

A command opts in with one line, ``add_cluster_argument(parser)``;
:func:`engine.cli.main.main` enters :func:`cluster_from` around every command,
so whatever the command calls that fans out through
:func:`engine.util.parallel.run_all` (``check``, what-if, ``assess``…) runs on
the cluster. A cluster problem is an :class:`~engine.cli.common.InputError`:
one line, exit 2.
"""

from __future__ import annotations

import argparse
import logging
import os
from contextlib import contextmanager
from typing import Iterator

from engine.cli.common import InputError
from engine.util.cluster import ClusterError, use_cluster

ENV = "SPOFDRILL_CLUSTER"
"""The environment variable that names the scheduler when ``--cluster`` is not given."""


def add_cluster_argument(parser: argparse.ArgumentParser) -> None:
    """Give a command the ``--cluster ADDRESS`` option."""
    parser.add_argument(
        "--cluster", metavar="ADDRESS", default=None,
        help=f"run the simulations on the Dask scheduler at ADDRESS (tcp://host:8786 or tls://host:8786; "
             f"default: ${ENV}, else processes on this machine); the results are the same")


def cluster_address(options: argparse.Namespace) -> str | None:
    """The scheduler to use: ``--cluster``, else ``$SPOFDRILL_CLUSTER``, else None (local processes).

    Only for commands that have the option: the variable does not move the others.
    """
    if not hasattr(options, "cluster"):
        return None
    address = options.cluster if options.cluster is not None else os.environ.get(ENV, "")
    return address.strip() or None


@contextmanager
def cluster_from(options: argparse.Namespace) -> Iterator[None]:
    """Run the body's fan-outs on the cluster the options name (nothing changes when they name none)."""
    address = cluster_address(options)
    if address is None:
        yield
        return
    try:
        with use_cluster(address), _quiet_dask():
            yield
    except ClusterError as exc:
        raise InputError(str(exc)) from None


@contextmanager
def _quiet_dask() -> Iterator[None]:
    """Silence Dask's own log for the command (entered after ``distributed`` is imported: its import sets the level).

    Dask logs a failed connection, a lost worker or a cancelled task at length on
    standard error; the command reports each in one line instead.
    """
    log = logging.getLogger("distributed")
    level = log.level
    log.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        log.setLevel(level)
