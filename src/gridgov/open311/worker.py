"""The intake worker: a thread in each server process that turns queued Open311 submissions
into cases, many per transaction.

A POST wakes its own process's worker when its transaction commits, so a case normally exists
some 0.2 s after its POST was answered (``GATHER_SECONDS``); each worker also looks at the queue every
``POLL_SECONDS``, to take in what other processes queued or what was left when a server
stopped. The thread starts when a server process loads the application (``gridgov.wsgi``, so
that requests left queued by a stopped server are taken in) or on first use, and again in a
forked child. ``GRIDGOV_OPEN311_WORKER = False`` turns it off (tests take queued
submissions in explicitly); GET tokens/{token} takes in a queued request itself in any case.
"""

import logging
import os
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connection

logger = logging.getLogger(__name__)

POLL_SECONDS = 1.0
# After a wake-up, let more POSTs arrive before taking them in: one transaction of many cases
# costs little more than one of a single case. 0.2 s against 0.05 s: 283-287 against 186-236
# cases/s in `gridgov bench intake` (benchmarks/README.md). A client that asks for its token
# sooner gets the case taken in by its own request.
GATHER_SECONDS = 0.2
MAX_BACKOFF_SECONDS = 30.0


class IntakeWorker:
    def __init__(self):
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    @property
    def enabled(self) -> bool:
        return getattr(settings, "GRIDGOV_OPEN311_WORKER", True)

    def wake(self) -> None:
        """Ask the worker to look at the queue now (starting it if this process has none)."""
        if not self.enabled:
            return
        self._ensure_running()
        self._wake.set()

    def _ensure_running(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="open311-intake", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        from .services import take_in_all

        backoff = POLL_SECONDS
        while True:
            if self._wake.wait(timeout=backoff):
                time.sleep(GATHER_SECONDS)
            self._wake.clear()
            if not self.enabled:  # turned off (tests): the thread ends
                break
            close_old_connections()
            try:
                take_in_all()
                backoff = POLL_SECONDS
            except Exception:  # keep the thread alive: the rows stay queued and are tried again
                logger.exception("Open311 intake worker: taking in queued submissions failed; retrying")
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
        connection.close()

    def join_after_disabling(self, timeout: float) -> None:
        """Wait for the thread to end once ``GRIDGOV_OPEN311_WORKER`` is off (tests)."""
        thread = self._thread
        if thread is not None:
            self._wake.set()
            thread.join(timeout)


intake_worker = IntakeWorker()
