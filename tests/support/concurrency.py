"""Run the same work in several threads at once, each on its own database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_concurrently(writers: int, work: Callable[[int], None]) -> list[BaseException]:
    """Start ``work(n)`` in ``writers`` threads released together; return what they raised."""
    from django.db import connections

    errors: list[BaseException] = []
    barrier = threading.Barrier(writers)

    def writer(n: int) -> None:
        try:
            barrier.wait()
            work(n)
        except BaseException as exc:  # noqa: BLE001 - reported to the calling test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
