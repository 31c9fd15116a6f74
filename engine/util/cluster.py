"""Running the fan-outs on a Dask cluster: a context that :func:`engine.util.parallel.run_all` consults.

``with use_cluster("tcp://scheduler:8786"): ...`` makes every ``run_all`` inside
it (what-if, pairs, chaos windows, ``check``, ``assess``, and whatever calls them
later) map its jobs on the cluster instead of the local process pool, without a
parameter threaded through the APIs. The results are the same objects in the
same order as a local run: the jobs are pure functions of their arguments
(named seeded streams), batched, and gathered in input order.

The engine only connects as a client; it starts no listener. ``distributed`` is
an optional dependency (``spofdrill[cluster]``), imported only when a cluster is
used. TLS settings come from Dask's own configuration (``distributed.comm.tls.*``,
see docs/cluster.md) unless a ``Security`` object is passed.

The active cluster is held in a :class:`~contextvars.ContextVar`: the thread (or
asyncio task) that entered the context sees it; a plain thread started inside
it does not (run it under ``contextvars.copy_context().run`` to share it).
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from engine.util.version import __version__

if TYPE_CHECKING:
    from distributed import Client

CONNECT_TIMEOUT = 5.0
"""Seconds to reach the scheduler (and finish the TLS handshake): a wrong address fails well within 10 s."""

WORKER_TIMEOUT = 4.0
"""Seconds to wait for a scheduler without workers to get one before saying so."""

BATCHES_PER_THREAD = 4
"""Batches are cut so each worker thread gets at least this many: the chunk size hint is a ceiling, not a floor,
so a fast worker is never left idle while a slow one holds a long batch."""

INSTALL_HINT = "install spofdrill[cluster] (pip install 'spofdrill[cluster]')"


class ClusterError(Exception):
    """The cluster cannot be used or lost the computation; the message is one line that says why."""


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def _identity(address: str, security: Any) -> dict:
    """The scheduler's answer to ``identity`` over a bare comm (TLS settings from ``security`` or Dask's config)."""
    from distributed.comm import connect
    from distributed.security import Security

    args = (security or Security()).get_connection_args("client")
    comm = await connect(address, timeout=CONNECT_TIMEOUT, **args)
    try:
        await comm.write({"op": "identity", "reply": True})
        return await comm.read()
    finally:
        comm.abort()


def _worker_version() -> str:
    """Run on every worker when connecting: it fails there if spofdrill is not installed, else says its version."""
    return __version__


def _run_batch(fn: Callable[[Any], Any], batch: Sequence[Any]) -> list[Any]:
    """One Dask task: several jobs in order (amortises the per-task overhead)."""
    return [fn(job) for job in batch]


def batch_size(jobs: int, chunksize: int, threads: int) -> int:
    """Jobs per Dask task: the caller's ``chunksize`` hint, lowered so every worker thread gets several batches."""
    balanced = -(-jobs // max(1, BATCHES_PER_THREAD * threads))
    return max(1, min(max(1, chunksize), balanced))


class Cluster:
    """A Dask scheduler to run jobs on; it connects on first use and keeps one client until closed."""

    def __init__(self, address: str, security: Any = None) -> None:
        self.address = address
        """The scheduler's address, e.g. ``tcp://scheduler:8786`` or ``tls://scheduler:8786``."""
        self.security = security
        """A ``distributed.Security``, or None for Dask's configuration (``distributed.comm.tls.*``)."""
        self._client: Client | None = None

    def client(self) -> Client:
        """The connected client: the first call connects and checks the workers (a :class:`ClusterError` if not)."""
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self) -> Client:
        from distributed import Client

        self._probe()
        try:
            client = Client(self.address, timeout=CONNECT_TIMEOUT, set_as_default=False, security=self.security)
        except Exception as exc:  # noqa: BLE001 - it answered the probe a moment ago: still one line
            raise ClusterError(f"cannot connect to the Dask scheduler at {self.address}: {_one_line(exc)}") from None
        try:
            self._check_workers(client)
        except BaseException:
            client.close(timeout=2)
            raise
        return client

    def _probe(self) -> None:
        """Ask the scheduler who it is, within :data:`CONNECT_TIMEOUT` (plus 2 s at worst) whatever the network does.

        ``distributed.Client`` bounds the TCP connection but not every later step:
        a listener that accepts and never answers holds it forever, and a client that
        fails half-way prints a traceback when it is collected. A bare comm under
        ``asyncio.wait_for``, in a thread of its own, has neither problem.
        """
        address = self.address
        outcome: list[BaseException | None] = []

        def ask() -> None:
            try:
                asyncio.run(asyncio.wait_for(_identity(address, self.security), CONNECT_TIMEOUT + 1.0))
                outcome.append(None)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                outcome.append(exc)

        thread = threading.Thread(target=ask, name="spofdrill-cluster-probe", daemon=True)
        thread.start()
        thread.join(CONNECT_TIMEOUT + 2.0)
        if not outcome or isinstance(outcome[0], (asyncio.TimeoutError, TimeoutError)):
            raise ClusterError(f"no answer from the Dask scheduler at {address} within {CONNECT_TIMEOUT:g} s "
                               "(is the address right, and does it speak tcp:// or tls:// as given?)")
        exc = outcome[0]
        if exc is None:
            return
        if isinstance(exc, TypeError) and "TLS" in str(exc):
            raise ClusterError(
                f"{address} is a TLS address but no TLS certificates are configured: set Dask's "
                "distributed.comm.tls.ca-file, .client.cert and .client.key (see docs/cluster.md)")
        if isinstance(exc, ValueError):
            raise ClusterError(f"{address!r} is not a Dask scheduler address ({exc}); "
                               "expected e.g. tcp://scheduler:8786 or tls://scheduler:8786")
        raise ClusterError(f"cannot connect to the Dask scheduler at {address}: {_one_line(exc)}")

    def _check_workers(self, client: Client) -> None:
        """Fail now, not mid-run, when there are no workers or they run another spofdrill (or none)."""
        address = self.address
        try:
            client.wait_for_workers(1, timeout=WORKER_TIMEOUT)
        except Exception:  # noqa: BLE001 - a TimeoutError in every version, whatever its class
            raise ClusterError(f"the Dask scheduler at {address} has no workers (waited {WORKER_TIMEOUT:g} s): "
                               f"start some with `dask worker {address}`") from None
        need = f"the workers need spofdrill installed in the same version as here ({__version__})"
        try:
            versions = client.run(_worker_version)
        except Exception as exc:  # noqa: BLE001 - the worker's ModuleNotFoundError arrives wrapped in an Exception
            if "No module named" in str(exc):
                raise ClusterError(f"the Dask workers at {address} cannot import spofdrill: {need}") from None
            raise ClusterError(f"the Dask workers at {address} failed a check: {_one_line(exc)}") from None
        other = sorted({version for version in versions.values() if version != __version__})
        if other:
            raise ClusterError(f"the Dask workers at {address} run spofdrill {', '.join(other)}: {need}")

    def threads(self) -> int:
        """Worker threads on the cluster now (at least 1)."""
        workers = self.client().scheduler_info().get("workers", {})
        return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))

    def map(
        self,
        fn: Callable[[Any], Any],
        jobs: Sequence[Any],
        *,
        chunksize: int = 1,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[Any]:
        """``[fn(job) for job in jobs]`` on the cluster, in input order; ``progress(done, total)`` after each batch.

        Every task has a key of its own (a random run id and the batch's index):
        Dask never merges two tasks, even when a class hands in two identical
        submissions, nor reuses a result another client left on the scheduler.
        A job that raises on a worker raises the same exception here.
        """
        from distributed.client import FutureCancelledError
        from distributed.scheduler import KilledWorker

        client = self.client()
        name = getattr(fn, "__name__", "job").strip("_") or "job"
        run = uuid.uuid4().hex[:12]
        try:
            size = batch_size(len(jobs), chunksize, self.threads())
            batches = [list(jobs[i:i + size]) for i in range(0, len(jobs), size)]
            keys = [f"spofdrill-{name}-{run}-{index}" for index in range(len(batches))]
            futures = client.map(_run_batch, [fn] * len(batches), batches, key=keys)
        except OSError as exc:  # CommClosedError: the scheduler went away between two fan-outs
            raise ClusterError(f"lost the connection to the Dask scheduler at {self.address}: {_one_line(exc)}") from None
        results: list[Any] = []
        try:
            for future in futures:
                results.extend(future.result())
                if progress:
                    progress(len(results), len(jobs))
        except KilledWorker:
            raise ClusterError(f"the computation on {self.address} is lost: workers died running {name} jobs more "
                               "often than Dask retries them (distributed.scheduler.allowed-failures)") from None
        except FutureCancelledError as exc:
            raise ClusterError(f"the computation on {self.address} is lost: {_one_line(exc)}") from None
        except ModuleNotFoundError as exc:
            if (exc.name or "").split(".")[0] not in ("engine", "scenarios"):
                raise
            raise ClusterError(f"the Dask workers at {self.address} cannot import spofdrill: the workers need "
                               f"spofdrill installed in the same version as here ({__version__})") from None
        finally:
            if len(results) < len(jobs):  # interrupted, lost or a job raised: stop what is still queued
                try:
                    client.cancel(futures)
                except Exception:  # noqa: BLE001 - the connection may be gone already
                    pass
        return results

    def close(self) -> None:
        """Disconnect (the cluster itself keeps running)."""
        if self._client is not None:
            client, self._client = self._client, None
            try:
                client.close(timeout=2)
            except Exception:  # noqa: BLE001 - closing a client whose scheduler is gone must not mask the real error
                pass


_active: ContextVar[Cluster | None] = ContextVar("spofdrill_cluster", default=None)


def active_cluster() -> Cluster | None:
    """The cluster entered with :func:`use_cluster` in this context, if any."""
    return _active.get()


def require_distributed() -> None:
    """Raise a :class:`ClusterError` saying what to install when Dask's ``distributed`` is missing."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ClusterError(f"running on a Dask cluster needs Dask's distributed package: {INSTALL_HINT}") from None


@contextmanager
def use_cluster(address: str, *, security: Any = None) -> Iterator[Cluster]:
    """Run every :func:`~engine.util.parallel.run_all` inside on the Dask scheduler at ``address``.

    It connects on the first fan-out (so a command that has none never
    connects) and disconnects on exit, also on an error or Ctrl-C.
    """
    require_distributed()
    cluster = Cluster(address.strip(), security)
    token = _active.set(cluster)
    try:
        yield cluster
    finally:
        _active.reset(token)
        cluster.close()
