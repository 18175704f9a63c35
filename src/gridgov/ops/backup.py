"""``gridgov backup`` / ``gridgov restore``: the database and the uploaded files in one archive.

The archive is a plain tar file (photos are JPEG already; compressing them again gains nothing):

- ``manifest.json``: the archive format, gridgov's and Django's versions, the database vendor,
  the applied migrations, the fingerprint of the data key the personal data is encrypted under,
  and the SHA-256 and size of every other member;
- ``database.sqlite3`` (SQLite: a copy taken with SQLite's online backup API, so the server keeps
  serving while it is taken) or ``database.pgdump`` (PostgreSQL: ``pg_dump -Fc``, one consistent
  snapshot);
- ``media/…``: every file under MEDIA_ROOT (case photos);
- ``pending-photos/…``: the uploads still waiting for the ``process_photo`` task
  (GRIDGOV_PHOTO_PENDING_DIR), so a photo being processed when the backup was taken is
  processed after a restore instead of being marked as missing;
- ``data_key``: only with ``--include-data-key``. The data key is what makes the encrypted
  columns readable (gridgov/crypto.py); an archive that holds it gives away every reporter's
  name and phone to whoever reads it, so by default it stays out and must be kept apart.

A restore checks the whole archive (every member listed, every checksum right, nothing extra)
before it writes anything, and refuses a target database or media folder that is not empty
unless told ``force``.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import django
from django.core.exceptions import ImproperlyConfigured
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

import gridgov
from gridgov import crypto

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
POSTGRES_MEMBER = "database.pgdump"
MEDIA_PREFIX = "media/"
PENDING_PREFIX = "pending-photos/"
DATA_KEY_MEMBER = "data_key"
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is a whole sentence for the operator."""


@dataclass
class Target:
    """Where a backup comes from or a restore goes: a database (Django settings dict), the
    media folder, the data directory (for the data key) and the folder of photos waiting to be
    processed."""

    database: dict
    media_root: Path
    data_dir: Path
    pending_dir: Path | None = None

    def file_trees(self) -> list[tuple[str, Path]]:
        """The folders whose files the archive carries, each under its member prefix."""
        trees = [(MEDIA_PREFIX, self.media_root)]
        if self.pending_dir is not None:
            trees.append((PENDING_PREFIX, self.pending_dir))
        return trees

    @property
    def vendor(self) -> str:
        return "postgresql" if "postgresql" in self.database["ENGINE"] else "sqlite"


@dataclass
class Outcome:
    manifest: dict
    notes: list[str] = field(default_factory=list)


def current_target() -> Target:
    from django.conf import settings
    from django.db import connection

    return Target(
        database=connection.settings_dict,
        media_root=Path(settings.MEDIA_ROOT),
        data_dir=Path(settings.DATA_DIR),
        pending_dir=Path(settings.GRIDGOV_PHOTO_PENDING_DIR),
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- backup --------------------------------------------------------------------------------------


def backup(archive: Path, *, connection, target: Target, include_data_key: bool = False) -> Outcome:
    """Write the archive (replacing the file only once it is complete)."""
    archive = Path(archive)
    outcome = Outcome(manifest={})
    with tempfile.TemporaryDirectory(prefix="gridgov-backup-") as work:
        work_dir = Path(work)
        if target.vendor == "sqlite":
            member = SQLITE_MEMBER
            _copy_sqlite(connection, work_dir / member)
        else:
            member = POSTGRES_MEMBER
            _pg_dump(target.database, work_dir / member)
        members = {member: work_dir / member}
        for prefix, root in target.file_trees():
            if root.is_dir():
                for path in sorted(p for p in root.rglob("*") if p.is_file()):
                    members[prefix + path.relative_to(root).as_posix()] = path
        key_file = target.data_dir / crypto.KEY_FILE_NAME
        if include_data_key:
            if not key_file.exists():
                raise BackupError(
                    _("There is no data key file at %(path)s to include (are the keys in GRIDGOV_DATA_KEY?).")
                    % {"path": key_file}
                )
            members[DATA_KEY_MEMBER] = key_file
            outcome.notes.append(
                _(
                    "Warning: the archive holds the data key; anyone who reads it can read every reporter's name and phone. Keep it as safe as the key itself."
                )
            )
        else:
            outcome.notes.append(
                _(
                    "The data key is not in the archive: keep a copy of it apart (GRIDGOV_DATA_KEY or %(path)s); without it the personal data of a restored database cannot be read."
                )
                % {"path": key_file}
            )
        manifest = _manifest(connection, target, members)
        outcome.manifest = manifest
        (work_dir / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        partial = archive.with_name(f".{archive.name}.partial")
        archive.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(partial, "w") as tar:
            tar.add(work_dir / MANIFEST, arcname=MANIFEST)
            for name, path in members.items():
                tar.add(path, arcname=name, recursive=False)
        os.replace(partial, archive)
    return outcome


def _copy_sqlite(connection, destination: Path) -> None:
    """SQLite's online backup API: a consistent copy while other connections go on writing."""
    connection.ensure_connection()
    copy = sqlite3.connect(destination)
    try:
        connection.connection.backup(copy)
    finally:
        copy.close()


def _pg_environment(database: dict) -> dict:
    env = dict(os.environ)
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD")):
        if database.get(key):
            env[variable] = str(database[key])
    return env


def _pg_program(name: str) -> str:
    program = shutil.which(name)
    if program is None:
        raise BackupError(
            _(
                "The PostgreSQL program %(program)s was not found: install the PostgreSQL client programs (on Debian the postgresql-client package) of the server's version or newer."
            )
            % {"program": name}
        )
    return program


def _pg_dump(database: dict, destination: Path) -> None:
    command = [_pg_program("pg_dump"), "--format=custom", "--no-owner", "--file", str(destination), database["NAME"]]
    result = subprocess.run(command, env=_pg_environment(database), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(_("pg_dump failed: %(error)s") % {"error": result.stderr.strip()})


def _applied_migrations(connection) -> list[list[str]]:
    recorder = MigrationRecorder(connection)
    return sorted([app, name] for app, name in recorder.applied_migrations())


def _data_key_fingerprint() -> str:
    try:
        return crypto.newest_key_fingerprint()
    except ImproperlyConfigured:  # production without a key: nothing is encrypted under one of ours
        return ""


def _manifest(connection, target: Target, members: dict[str, Path]) -> dict:
    return {
        "format": FORMAT,
        "created": timezone.now().isoformat(),
        "gridgov": gridgov.__version__,
        "django": django.get_version(),
        "database": target.vendor,
        "migrations": _applied_migrations(connection),
        "data_key_fingerprint": _data_key_fingerprint(),
        "data_key_included": DATA_KEY_MEMBER in members,
        "files": {name: {"sha256": _sha256(path), "size": path.stat().st_size} for name, path in members.items()},
    }


# --- restore -------------------------------------------------------------------------------------


def read_archive(archive: Path, into: Path) -> dict:
    """Unpack the archive into ``into`` and check it whole; return its manifest."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(_("There is no backup archive at %(path)s.") % {"path": archive})
    try:
        with tarfile.open(archive, "r") as tar:
            for member in tar.getmembers():
                if not member.isfile() or member.name.startswith("/") or ".." in Path(member.name).parts:
                    raise BackupError(
                        _("The archive %(path)s holds an entry that no gridgov backup has (%(name)s); it is refused.")
                        % {"path": archive, "name": member.name}
                    )
            tar.extractall(into, filter="data")
    except (tarfile.TarError, EOFError, OSError) as error:
        raise BackupError(
            _("The archive %(path)s cannot be read as a backup (%(error)s); it may be truncated or damaged.")
            % {"path": archive, "error": error}
        ) from error
    try:
        manifest = json.loads((into / MANIFEST).read_text())
        files = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BackupError(
            _("The archive %(path)s has no readable manifest; it is not a gridgov backup or it is damaged.") % {"path": archive}
        ) from error
    if manifest.get("format") != FORMAT:
        raise BackupError(
            _("The archive %(path)s is in a backup format this version of gridgov does not know (%(format)s).")
            % {"path": archive, "format": manifest.get("format")}
        )
    present = {p.relative_to(into).as_posix() for p in into.rglob("*") if p.is_file()} - {MANIFEST}
    if missing := sorted(set(files) - present):
        raise BackupError(
            _("The archive %(path)s is missing %(name)s, which its manifest lists; it is damaged.")
            % {"path": archive, "name": missing[0]}
        )
    if extra := sorted(present - set(files)):
        raise BackupError(
            _("The archive %(path)s holds %(name)s, which its manifest does not list; it is refused.")
            % {"path": archive, "name": extra[0]}
        )
    for name, expected in sorted(files.items()):
        if _sha256(into / name) != expected["sha256"]:
            raise BackupError(
                _("The checksum of %(name)s in the archive %(path)s does not match its manifest; the archive is damaged.")
                % {"path": archive, "name": name}
            )
    return manifest


def restore(archive: Path, *, target: Target, force: bool = False) -> Outcome:
    """Put the archive's database, media files (and data key, when it holds one) in place."""
    with tempfile.TemporaryDirectory(prefix="gridgov-restore-") as work:
        unpacked = Path(work)
        manifest = read_archive(archive, unpacked)
        outcome = Outcome(manifest=manifest)
        if manifest["database"] != target.vendor:
            raise BackupError(
                _(
                    "The archive holds a %(archive)s database and the target database is %(target)s; restore it into a %(archive)s database."
                )
                % {"archive": manifest["database"], "target": target.vendor}
            )
        _check_migrations_known(manifest)
        if target.vendor == "sqlite":
            _check_sqlite_empty(target.database, force)
        else:
            _check_postgres_empty(target.database, force)
        for _prefix, root in target.file_trees():
            _check_media_empty(root, force)
        if manifest["data_key_included"]:
            _check_data_key_free(target.data_dir, unpacked / DATA_KEY_MEMBER, force)
        if target.vendor == "sqlite":
            _restore_sqlite(unpacked / SQLITE_MEMBER, Path(target.database["NAME"]))
        else:
            _pg_restore(unpacked / POSTGRES_MEMBER, target.database, force)
        for prefix, root in target.file_trees():
            _restore_media(unpacked / prefix.rstrip("/"), root, force)
        if manifest["data_key_included"]:
            crypto.write_key_file(target.data_dir / crypto.KEY_FILE_NAME, crypto.read_key_file(unpacked / DATA_KEY_MEMBER))
            outcome.notes.append(
                _("The data key of the archive was written to %(path)s.") % {"path": target.data_dir / crypto.KEY_FILE_NAME}
            )
        elif manifest.get("data_key_fingerprint"):
            outcome.notes.append(
                _(
                    "The archive holds no data key: the personal data is readable only with the key whose fingerprint is %(fingerprint)s, in GRIDGOV_DATA_KEY or the data directory's data_key file."
                )
                % {"fingerprint": manifest["data_key_fingerprint"]}
            )
    return outcome


def _check_migrations_known(manifest: dict) -> None:
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = [f"{app}.{name}" for app, name in manifest["migrations"] if (app, name) not in known]
    if unknown:
        raise BackupError(
            _("The archive was made by a newer gridgov: its migrations %(names)s are unknown here; upgrade gridgov first.")
            % {"names": ", ".join(unknown[:5])}
        )


def _check_sqlite_empty(database: dict, force: bool) -> None:
    name = str(database["NAME"])
    if force or not (name.startswith("file:") or Path(name).exists()):
        return
    probe = sqlite3.connect(name, uri=name.startswith("file:"))  # "file:…": an in-memory test database
    try:
        tables = probe.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    finally:
        probe.close()
    if tables:
        raise BackupError(
            _("The database %(path)s is not empty; restore into an empty data directory, or add --force to replace it.")
            % {"path": name}
        )


def _restore_sqlite(copy: Path, destination: Path) -> None:
    """Through the backup API again, so a leftover WAL file of the target cannot mix in."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    source, target = sqlite3.connect(copy), sqlite3.connect(destination)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def _postgres_tables(database: dict) -> int:
    import psycopg

    options = {"dbname": database["NAME"], "host": database.get("HOST") or None, "port": database.get("PORT") or None}
    options |= {"user": database.get("USER") or None, "password": database.get("PASSWORD") or None}
    try:
        with psycopg.connect(**{k: v for k, v in options.items() if v is not None}, connect_timeout=10) as probe:
            row = probe.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
            return row[0] if row else 0
    except psycopg.Error as error:
        raise BackupError(
            _("Cannot connect to the target database %(name)s: %(error)s")
            % {"name": database["NAME"], "error": str(error).strip()}
        ) from error


def _check_postgres_empty(database: dict, force: bool) -> None:
    if _postgres_tables(database) and not force:
        raise BackupError(
            _("The database %(name)s is not empty; restore into an empty database, or add --force to replace its tables.")
            % {"name": database["NAME"]}
        )


def _pg_restore(dump: Path, database: dict, force: bool) -> None:
    command = [_pg_program("pg_restore"), "--no-owner", "--exit-on-error", "--single-transaction", "--dbname", database["NAME"]]
    if force:
        command += ["--clean", "--if-exists"]
    result = subprocess.run([*command, str(dump)], env=_pg_environment(database), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(_("pg_restore failed: %(error)s") % {"error": result.stderr.strip()})


def _check_media_empty(media_root: Path, force: bool) -> None:
    if media_root.is_dir() and any(p.is_file() for p in media_root.rglob("*")) and not force:
        raise BackupError(
            _(
                "The media folder %(path)s already holds files; restore into an empty data directory, or add --force to replace them."
            )
            % {"path": media_root}
        )


def _restore_media(unpacked: Path, media_root: Path, force: bool) -> None:
    if force and media_root.is_dir():
        shutil.rmtree(media_root)
    media_root.mkdir(parents=True, exist_ok=True)
    if unpacked.is_dir():
        shutil.copytree(unpacked, media_root, dirs_exist_ok=True)


def _check_data_key_free(data_dir: Path, archived_key: Path, force: bool) -> None:
    existing = data_dir / crypto.KEY_FILE_NAME
    if existing.exists() and not force and crypto.read_key_file(existing) != crypto.read_key_file(archived_key):
        raise BackupError(
            _(
                "The data directory already has a different data key at %(path)s; move it aside, or add --force to replace it with the archive's."
            )
            % {"path": existing}
        )
