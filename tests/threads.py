"""Run a function in many threads at once (a barrier releases them together), each on its own
database connection: what simultaneous requests do to the same rows. Needs a transactional
test (`django_db(transaction=True)`), or the threads cannot see the test's rows."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import close_old_connections, connection


def run_together(n: int, target: Callable[[int], object]) -> tuple[list, list[BaseException]]:
    """(results, errors) of `target(i)` for i in 0..n-1, all started at the same moment."""
    barrier = threading.Barrier(n)
    results: list = []
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results.append(target(i))
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    close_old_connections()
    return results, errors
