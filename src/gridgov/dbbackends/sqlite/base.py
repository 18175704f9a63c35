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

from django.db.backends.sqlite3 import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        """Empty the tables even when a trigger refuses DELETE on one of them (the audit log's,
        see accounts/auditlog.py): drop those triggers around the DELETEs and create them again,
        which is what TRUNCATE does on PostgreSQL. Only ``flush`` (and the tests) run this."""
        statements = super().sql_flush(style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        if not tables:
            return statements
        placeholders = ", ".join(["%s"] * len(tables))
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({placeholders})",  # noqa: S608
                list(tables),
            )
            triggers = cursor.fetchall()
        drops = [f"DROP TRIGGER {self.quote_name(name)};" for name, _ in triggers]
        creates = [f"{sql};" for _, sql in triggers]
        return [*drops, *statements, *creates]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
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
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private hook the stubs leave out
        except BaseException:
            self._release_write_lock()
            raise

    def _commit(self):
        try:
            return super()._commit()  # type: ignore[misc]  # private hook the stubs leave out
        finally:
            self._release_write_lock()

    def _rollback(self):
        try:
            return super()._rollback()  # type: ignore[misc]  # private hook the stubs leave out
        finally:
            self._release_write_lock()

    def _close(self):
        try:
            return super()._close()  # type: ignore[misc]  # private hook the stubs leave out
        finally:
            self._release_write_lock()
            if self._write_lock is not None:
                self._write_lock.close()
                self._write_lock = None

    def _release_write_lock(self):
        if self._holds_write_lock and self._write_lock is not None:
            fcntl.flock(self._write_lock, fcntl.LOCK_UN)
            self._holds_write_lock = False
