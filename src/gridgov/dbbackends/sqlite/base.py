"""SQLite as gridgov deploys it: write transactions queue for their turn instead of polling.

SQLite runs one write transaction at a time. A second ``BEGIN IMMEDIATE`` waits in SQLite's
busy handler, which sleeps 1, 2, 5, 10, 15, 20, 25, … ms between attempts; with a handful of
concurrent writers most of a request's time went into those sleeps (measured with ``gridgov
bench intake``: see benchmarks/README.md). Here every write transaction first takes an
exclusive ``flock`` on a lock file beside the database, so waiters block in the kernel and the
next one starts the moment the previous one commits, across threads and server processes.
Reads outside transactions do not take it (WAL lets them run beside the writer). In-memory
databases (the tests') have no file and no other process, and skip it.
"""

import fcntl

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    _write_lock = None
    _holds_write_lock = False

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if not self.is_in_memory_db():
            # Per connection: flock excludes other open files, even in the same process.
            self._write_lock = open(f"{self.settings_dict['NAME']}.write-lock", "ab")  # noqa: SIM115 (closed in _close)
        return connection

    def _start_transaction_under_autocommit(self):
        if self._write_lock is not None:
            fcntl.flock(self._write_lock, fcntl.LOCK_EX)
            self._holds_write_lock = True
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_write_lock()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_write_lock()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_write_lock()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_write_lock()
            if self._write_lock is not None:
                self._write_lock.close()
                self._write_lock = None

    def _release_write_lock(self):
        if self._holds_write_lock:
            fcntl.flock(self._write_lock, fcntl.LOCK_UN)
            self._holds_write_lock = False
