"""What an import reads out of Compose files or Kubernetes manifests, before it becomes a scenario.

Both readers (:mod:`.compose`, :mod:`.kubernetes`) produce the same
:class:`Architecture`: workloads with their replicas, image, labels, health
check, the other workloads they call and how users reach them. Everything
keeps the file and line it came from, so every note and problem can say where.
:mod:`.build` turns it into a scenario.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from engine.scenario.imports.source import Document, Notes
from engine.scenario.loader.collector import show
from engine.util.limits import MAX_NODES


@dataclass(frozen=True)
class Where:
    """A place in an input file."""

    file: str
    line: int | None

    @classmethod
    def of(cls, document: Document, path: tuple = ()) -> Where:
        """The place of ``path`` in ``document``."""
        return cls(document.file, document.line(path))


@dataclass(frozen=True)
class Call:
    """One workload needs another: ``target`` is the called workload's key."""

    target: str
    where: Where
    how: str
    """How the input says it, e.g. ``depends_on`` or ``env DATABASE_URL``."""


@dataclass(frozen=True)
class Check:
    """A declared health check (Compose ``healthcheck``, Kubernetes ``readinessProbe``) in the model's terms."""

    type: str
    interval: float
    timeout: float
    fall: int
    rise: int
    where: Where
    defaulted: tuple[str, ...] = ()
    """Fields the input left out, taken from the orchestrator's own defaults (named in a note)."""
    source: str = ""
    """Whose defaults those are: ``Docker`` or ``Kubernetes``."""


@dataclass
class Workload:
    """A service (Compose) or a workload (Kubernetes Deployment, StatefulSet, ...): one or more identical instances."""

    key: str
    """Unique name in the input (Kubernetes: ``namespace/name``)."""
    name: str
    """Its name as written (the node names are made from it)."""
    where: Where
    image: str = ""
    replicas: int = 1
    replicas_declared: bool = True
    ordinal: bool = False
    """Instances are numbered from 0 (a StatefulSet's pods), else from 1."""
    label_kind: str | None = None
    label_where: Where | None = None
    calls: list[Call] = field(default_factory=list)
    """What it needs; for a load balancer, where it routes to."""
    published: list[tuple[Where, str]] = field(default_factory=list)
    """How users reach it directly (a published port, a LoadBalancer Service), with the words."""
    check: Check | None = None
    fixed_kind: str | None = None
    """A kind the reader already knows (a load balancer it added for an Ingress)."""
    synthetic: bool = False
    """Added by the import, not in the input."""
    kind_source: str = ""
    """Why it has its kind (set when the kind is decided)."""


@dataclass
class Architecture:
    """Everything a reader found: the system's name, its workloads, and the files it read."""

    name: str | None
    workloads: list[Workload]
    files: list[str]
    zone_words: str = ""


_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/\s?#]*@)?(\[[^\]]*\]|[A-Za-z0-9_.-]+)")
_HOST_KEYS = re.compile(r"(^|_)(HOST|HOSTNAME|HOSTS|SERVER|ADDR|ADDRESS|ENDPOINT|SERVICE)$", re.IGNORECASE)
_PLAIN_HOST = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]*)(:\d+)?$")
_LOCAL = {"localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]"}


def hosts_in(name: str, value: str) -> list[str]:
    """The host names an environment variable points at: URLs (``postgres://u:p@db:5432/x``), and plain
    ``host`` or ``host:port`` values of variables named ``*_HOST``, ``*_ADDR``, ``*_SERVER``, ``*_ENDPOINT``, ..."""
    hosts = [match.group(1) for match in _URL.finditer(value)]
    if not hosts and _HOST_KEYS.search(name):
        for part in value.split(","):
            plain = _PLAIN_HOST.match(part.strip())
            if plain:
                hosts.append(plain.group(1))
    return [host.lower() for host in hosts if host.lower() not in _LOCAL]


_DEFAULTED = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def interpolate(value: str, where: Where, notes: Notes) -> str:
    """Compose variables replaced by their written default (``${WEB_REPLICAS:-2}`` is ``2``); one without a
    default is left as written, with a note (the import does not read the environment)."""
    if "$" not in value:
        return value

    def replace(match: re.Match[str]) -> str:
        if match.group(2) is not None:
            return match.group(2)
        variable = match.group(1) or match.group(3)
        notes.add("assumption", where.file, where.line,
                  f"'${{{variable}}}' has no default in the file and is not read from the environment: left as written")
        return match.group(0)

    return _DEFAULTED.sub(replace, value.replace("$$", "\0")).replace("\0", "$")


MAX_REPLICAS = 100
"""Instances one workload becomes at most: fifteen such workloads fill a topology (``MAX_NODES``, 1,500
components), and past two instances more change no SPOF verdict, only capacity (which the import does not
know anyway)."""


def replica_count(value: object, where: Where, notes: Notes, what: str) -> int | None:
    """A replica count as a whole number from 0 to :data:`MAX_REPLICAS` (more is capped, with a note);
    ``None`` after a problem when it is not a whole number at least 0."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e12:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        notes.problem(where.file, where.line, f"{what} must be a whole number, got {show(value)}")
        return None
    if value < 0:
        notes.problem(where.file, where.line, f"{what} must be at least 0, got {value}")
        return None
    if value > MAX_REPLICAS:
        notes.add("assumption", where.file, where.line,
                  f"{what} is {value:,}: modelled as {MAX_REPLICAS} instances (the import's cap; a topology holds "
                  f"at most {MAX_NODES:,} components, and more instances change capacity, not the SPOF verdict)")
        return MAX_REPLICAS
    return value

