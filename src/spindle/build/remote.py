"""The connection to a Dask scheduler (``--cluster tcp://HOST:8786``), for whole titles
(``build.cluster``) and for the part layouts inside one book (``editions.paged.remote``)."""

from __future__ import annotations

import contextlib
from typing import Iterator

from spindle.core.errors import ConfigError

CONNECT_TIMEOUT = "15s"  # how long a scheduler may take to answer


def connect(address: str):
    """A ``distributed.Client`` of the scheduler at *address*, or a one-line ConfigError."""
    try:
        import dask
        from distributed import Client
    except ImportError:
        raise ConfigError("building on a cluster needs Dask: pip install 'spindle[cluster]'") from None
    try:
        with dask.config.set({"distributed.admin.large-graph-warning-threshold": "4GB"}):
            return Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise ConfigError(f"--cluster {address}: no Dask scheduler answers there ({exc}); "
                          "start one (dask scheduler) or check the address") from None


@contextlib.contextmanager
def parts_pool(cluster) -> Iterator[object]:
    """A pool (scheduler.Pool's interface) laying parts out on *cluster*: an address (connected
    here, and closed at the end) or a ``distributed.Client`` already connected."""
    from spindle.editions.paged.remote import ClusterPool

    client = connect(cluster) if isinstance(cluster, str) else cluster
    try:
        with ClusterPool(client) as pool:
            yield pool
    finally:
        if isinstance(cluster, str):
            client.close()
