"""Values read from the database and kept per process: tables edited a few times a year (the
working calendar, the service catalogue) that would otherwise cost a query on every request."""

import threading
from collections import OrderedDict
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


class KeyedCache(Generic[T]):
    """Values computed per key, the ``max_entries`` most recently used kept in this process.

    For results that never change under their key: put what they depend on (a change stamp, the
    period, the scope) into the key, and a change makes a new key instead of a stale hit.
    """

    def __init__(self, max_entries: int):
        self._max = max_entries
        self._kept: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        value = compute()
        with self._lock:
            self._kept[key] = value
            while len(self._kept) > self._max:
                self._kept.popitem(last=False)
        return value

    def forget(self, **_signal_arguments) -> None:
        with self._lock:
            self._kept.clear()
