"""Values read from the database and kept per process: tables edited a few times a year (the
working calendar, the service catalogue) that would otherwise cost a query on every request."""

import threading
from collections.abc import Callable
from time import monotonic
from typing import Generic, TypeVar

T = TypeVar("T")


class ProcessCache(Generic[T]):
    """``load()``'s result, kept for ``ttl_seconds``.

    An edit made in this process drops it at once: connect ``forget`` to the model's
    post_save / post_delete signals. Other server processes see the edit within the TTL.
    """

    def __init__(self, load: Callable[[], T], ttl_seconds: float):
        self._load = load
        self._ttl = ttl_seconds
        self._kept: tuple[float, T] | None = None  # replaced whole, so readers need no lock
        self._lock = threading.Lock()

    def get(self) -> T:
        kept = self._kept
        if kept is not None and monotonic() - kept[0] < self._ttl:
            return kept[1]
        with self._lock:  # one thread loads; the others wait for its result
            kept = self._kept
            if kept is None or monotonic() - kept[0] >= self._ttl:
                kept = (monotonic(), self._load())
                self._kept = kept
            return kept[1]

    def forget(self, **_signal_arguments) -> None:
        self._kept = None
