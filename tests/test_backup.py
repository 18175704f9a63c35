"""``gridgov backup`` / ``gridgov restore``: a small database with cases and photos is backed up,
restored into an empty data directory (its own SQLite file, or a second PostgreSQL database), and
every table's rows and every uploaded file are compared."""

import io
import sqlite3
import tarfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from PIL import Image

from gridgov import crypto
from gridgov.cases.services import Report, report_case
from gridgov.ops import backup

from .case_factories import WEST_POINT, make_category
from .factories import build_small_network


def _jpeg(colour) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), colour).save(out, "JPEG")
    return SimpleUploadedFile("photo.jpg", out.getvalue(), content_type="image/jpeg")


@pytest.fixture
def source(transactional_db, settings, tmp_path) -> backup.Target:
    """Committed rows (pg_dump and SQLite's backup API read what is committed): two cases, three photos."""
    data_dir = tmp_path / "source"
    settings.DATA_DIR, settings.MEDIA_ROOT = data_dir, data_dir / "media"
    settings.GRIDGOV_DATA_KEYS = []
    crypto.forget_key_file()
    build_small_network()
    category = make_category()
    lat, lng = WEST_POINT
    report_case(
        Report(category=category, lat=lat, lng=lng, description="井盖缺失", source="resident", reporter_phone="13800001234"),
        photos=[_jpeg((200, 0, 0)), _jpeg((0, 200, 0))],
    )
    report_case(
        Report(category=category, lat=lat, lng=lng, description="暴露垃圾", source="hotline", reporter_name="张三"),
        photos=[_jpeg((0, 0, 200))],
    )
    yield backup.current_target()
    crypto.forget_key_file()


def _rows(cursor, table: str) -> list:
    if connection.vendor == "postgresql":  # each row as its JSON text: Django's cursor reads jsonb as text, psycopg as dicts
        cursor.execute(f'SELECT row_to_json(t)::text FROM "{table}" t')
    else:
        cursor.execute(f'SELECT * FROM "{table}"')
    return sorted(cursor.fetchall(), key=repr)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def restored_database(tmp_path):
    """An empty database of the test's vendor for the restore, and a cursor factory on it."""
    if connection.vendor == "sqlite":
        database = {"ENGINE": "gridgov.dbbackends.sqlite", "NAME": str(tmp_path / "restored" / "gridgov.sqlite3")}

        def open_cursor():
            # The converters Django registered (booleans, dates …) apply to this connection too.
            return sqlite3.connect(database["NAME"], detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES).cursor()

        yield database, open_cursor
        return
    import psycopg

    settings_dict = connection.settings_dict
    name = f"{settings_dict['NAME']}_restored"
    credentials = {
        "host": settings_dict["HOST"] or "127.0.0.1",
        "port": settings_dict["PORT"] or 5432,
        "user": settings_dict["USER"],
    }
    if settings_dict["PASSWORD"]:
        credentials["password"] = settings_dict["PASSWORD"]
    with psycopg.connect(dbname="postgres", autocommit=True, **credentials) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    opened = []

    def open_cursor():
        opened.append(psycopg.connect(dbname=name, **credentials))
        return opened[-1].cursor()

    yield {**settings_dict, "NAME": name}, open_cursor
    for each in opened:
        each.close()
    with psycopg.connect(dbname="postgres", autocommit=True, **credentials) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_restore_into_an_empty_data_directory_gives_back_every_row_and_every_file(source, restored_database, tmp_path):
    archive = tmp_path / "gridgov.tar"
    outcome = backup.backup(archive, connection=connection, target=source)
    assert not outcome.manifest["data_key_included"]
    assert any("data key is not in the archive" in note for note in outcome.notes)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert crypto.KEY_FILE_NAME not in names and sum(name.startswith("media/") for name in names) == 6  # 3 photos, 3 thumbnails

    database, open_cursor = restored_database
    target = backup.Target(database=database, media_root=tmp_path / "restored" / "media", data_dir=tmp_path / "restored")
    backup.restore(archive, target=target)

    tables = connection.introspection.table_names()
    assert "cases_case" in tables and "cases_photo" in tables
    restored = open_cursor()
    with connection.cursor() as original:
        for table in tables:
            assert _rows(restored, table) == _rows(original, table), table
        original.execute("SELECT count(*) FROM cases_case")
        assert original.fetchone()[0] == 2
    assert _files(target.media_root) == _files(source.media_root) != {}
    assert not (target.data_dir / crypto.KEY_FILE_NAME).exists()


def test_the_data_key_goes_in_only_when_asked_and_comes_back_with_the_restore(source, restored_database, tmp_path):
    archive = tmp_path / "with-key.tar"
    outcome = backup.backup(archive, connection=connection, target=source, include_data_key=True)
    assert outcome.manifest["data_key_included"] and any(note.startswith("Warning") for note in outcome.notes)
    database, _ = restored_database
    target = backup.Target(database=database, media_root=tmp_path / "restored" / "media", data_dir=tmp_path / "restored")
    backup.restore(archive, target=target)
    key_file = source.data_dir / crypto.KEY_FILE_NAME
    assert crypto.read_key_file(target.data_dir / crypto.KEY_FILE_NAME) == crypto.read_key_file(key_file)


def test_a_non_empty_target_is_refused_unless_forced(source, tmp_path):
    archive = tmp_path / "gridgov.tar"
    backup.backup(archive, connection=connection, target=source)
    # The restore command aims at the configured database, which holds the test's rows.
    with pytest.raises(CommandError, match="is not empty; restore into an empty"):
        call_command("restore", str(archive))
    media_target = backup.Target(
        database={"ENGINE": "gridgov.dbbackends.sqlite", "NAME": str(tmp_path / "fresh.sqlite3")},
        media_root=source.media_root,
        data_dir=tmp_path,
    )
    if connection.vendor == "sqlite":
        with pytest.raises(backup.BackupError, match="already holds files"):
            backup.restore(archive, target=media_target)


def _rewrite_member(archive: Path, name: str, change) -> None:
    with tarfile.open(archive) as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]
    with tarfile.open(archive, "w") as tar:
        for member, data in members:
            data = change(data) if member.name == name else data
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))


def test_a_damaged_archive_is_refused_before_anything_is_written(source, tmp_path):
    archive = tmp_path / "gridgov.tar"
    backup.backup(archive, connection=connection, target=source)
    target = backup.Target(
        database={"ENGINE": "gridgov.dbbackends.sqlite", "NAME": str(tmp_path / "fresh.sqlite3")},
        media_root=tmp_path / "m",
        data_dir=tmp_path,
    )
    with tarfile.open(archive) as tar:
        photo = next(name for name in tar.getnames() if name.startswith("media/"))
    _rewrite_member(archive, photo, lambda data: data[:-1] + bytes([data[-1] ^ 1]))
    with pytest.raises(backup.BackupError, match=f"The checksum of {photo} in the archive .* does not match its manifest"):
        backup.restore(archive, target=target)
    assert not Path(target.database["NAME"]).exists() and not target.media_root.exists()

    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(archive.read_bytes()[:700])
    with pytest.raises(backup.BackupError, match="cannot be read as a backup|is missing"):
        backup.restore(truncated, target=target)
    with pytest.raises(backup.BackupError, match="There is no backup archive at"):
        backup.restore(tmp_path / "nowhere.tar", target=target)


def test_the_backup_command_says_what_it_wrote(source, tmp_path):
    out = StringIO()
    call_command("backup", str(tmp_path / "b.tar"), stdout=out)
    assert f"and 6 uploaded files into {tmp_path / 'b.tar'}" in out.getvalue()
    assert "The data key is not in the archive" in out.getvalue()


def test_missing_postgresql_programs_are_named(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(
        backup.BackupError, match="The PostgreSQL program pg_dump was not found: install the PostgreSQL client programs"
    ):
        backup._pg_program("pg_dump")


def test_uploads_still_waiting_for_processing_go_into_the_archive_and_come_back(source, restored_database, tmp_path):
    """A photo taken in but not yet processed (its upload kept in the pending folder) is restored
    with the rest, so the worker processes it after the restore instead of marking it missing."""
    assert source.pending_dir is not None
    source.pending_dir.mkdir(parents=True, exist_ok=True)
    (source.pending_dir / "waiting.jpg").write_bytes(b"an upload still waiting for the worker")
    archive = tmp_path / "gridgov.tar"
    backup.backup(archive, connection=connection, target=source)
    with tarfile.open(archive) as tar:
        assert "pending-photos/waiting.jpg" in tar.getnames()

    database, _ = restored_database
    target = backup.Target(
        database=database,
        media_root=tmp_path / "restored" / "media",
        data_dir=tmp_path / "restored",
        pending_dir=tmp_path / "restored" / "pending-photos",
    )
    backup.restore(archive, target=target)
    assert _files(target.pending_dir) == _files(source.pending_dir) == {"waiting.jpg": b"an upload still waiting for the worker"}
    assert _files(target.media_root) == _files(source.media_root)
