"""Personal data encrypted at rest, with a key kept outside the database (DESIGN.md section 11).

Reporters' names, phones and e-mails (and, later, ID-card numbers) are stored as Fernet tokens
(AES-128-CBC + HMAC-SHA256, from the ``cryptography`` package): a copy of the database, a backup
or a SQL console shows ciphertext only. The keys come from ``GRIDGOV_DATA_KEY`` (comma-separated,
newest first) or from the ``data_key`` file in the data directory, generated like the secret key
(mode 0600) on first use in the local profile.

Rotation: put a new key first in the list (``gridgov rotate-data-key --new-key`` does it for the
key file) and run ``gridgov rotate-data-key``; every value is re-encrypted with the newest key,
and the older keys can be dropped once it has finished. Values under any listed key stay readable
meanwhile (MultiFernet).

Searching an encrypted column is impossible, so a value that is looked up (a phone number, a
caller's name) also gets a *blind index*: an HMAC-SHA256 of the normalised value under a key derived from a data key.
Equal values give equal indexes, and the index reveals nothing without the key. A look-up tries
the index under every listed key, so it keeps working during a rotation.

``EncryptedTextField`` and ``BlindIndexField`` are the model fields; the bulk writer
(``gridgov/bulk.py``) encrypts and indexes through them too.
"""

import functools
import hashlib
import hmac
import os
import time
import unicodedata
from collections.abc import Callable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

TOKEN_PREFIX = "gAAAAA"  # every Fernet token starts so (version byte 0x80 and a 64-bit time)
KEY_FILE_NAME = "data_key"
INDEX_KEY_LABEL = b"gridgov blind index v1\x00"


# --- keys --------------------------------------------------------------------------------------


def generate_key() -> str:
    return Fernet.generate_key().decode()


def key_file_path():
    return settings.DATA_DIR / KEY_FILE_NAME


def read_key_file(path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def _write_private(path, keys: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as stream:
        stream.write("".join(f"{key}\n" for key in keys))
    path.chmod(0o600)


def write_key_file(path, keys: list[str]) -> None:
    """Replace the key file with these keys (newest first), readable by the owner only; a
    reader sees the old file or the new one, never half of one."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    _write_private(temporary, keys)
    os.replace(temporary, path)
    forget_key_file()


def _create_key_file(path) -> None:
    """A first key, unless another process has just written one (two servers starting at once
    must not each encrypt under a key of their own)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    _write_private(temporary, [generate_key()])
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def configured_keys() -> list[str]:
    """The data keys, newest first: GRIDGOV_DATA_KEY, else the key file (generated when the
    local profile starts without one; production refuses to invent a key)."""
    keys = list(getattr(settings, "GRIDGOV_DATA_KEYS", None) or [])
    if keys:
        return keys
    path = key_file_path()
    if not path.exists():
        if getattr(settings, "PRODUCTION", False):
            raise ImproperlyConfigured(
                f"production needs GRIDGOV_DATA_KEY or a key file at {path} (gridgov rotate-data-key --new-key)"
            )
        _create_key_file(path)
    keys = read_key_file(path)
    if not keys:
        raise ImproperlyConfigured(f"the data key file {path} holds no key")
    return keys


@functools.lru_cache(maxsize=4)
def _keyring(keys: tuple[str, ...]) -> tuple[MultiFernet, tuple[bytes, ...]]:
    try:
        fernets = [Fernet(key.encode()) for key in keys]
    except ValueError as error:
        raise ImproperlyConfigured(f"a data key is not a Fernet key (32 bytes, url-safe base64): {error}") from None
    index_keys = tuple(hashlib.sha256(INDEX_KEY_LABEL + key.encode()).digest() for key in keys)
    return MultiFernet(fernets), index_keys


_file_keys: dict = {}
KEY_FILE_CHECK_SECONDS = 1.0  # a stat per value cost a third of the demo's encryption time


def keyring() -> tuple[MultiFernet, tuple[bytes, ...]]:
    """The ciphers and blind-index keys of the configured keys (the key file is read once per
    process, and again within a second of a change, e.g. by ``rotate-data-key --new-key``)."""
    if getattr(settings, "GRIDGOV_DATA_KEYS", None):
        return _keyring(tuple(settings.GRIDGOV_DATA_KEYS))
    now, ring = time.monotonic(), _file_keys.get("ring")
    # Checked within the second, for the same data directory: the path is not even built (a
    # report taken in asks four times: its name and phone, their blind index, the queued copy).
    fresh = now - _file_keys.get("checked", -KEY_FILE_CHECK_SECONDS) < KEY_FILE_CHECK_SECONDS
    if ring is not None and fresh and _file_keys.get("dir") is settings.DATA_DIR:
        return ring
    path = key_file_path()
    if _file_keys.get("path") != path or now - _file_keys.get("checked", -KEY_FILE_CHECK_SECONDS) >= KEY_FILE_CHECK_SECONDS:
        stamp = path.stat().st_mtime_ns if path.exists() else None
        if stamp is None or _file_keys.get("path") != path or _file_keys.get("stamp") != stamp:
            keys = tuple(configured_keys())
            _file_keys.update(path=path, stamp=path.stat().st_mtime_ns, keys=keys)
        _file_keys["checked"] = now
    _file_keys.update(dir=settings.DATA_DIR, ring=_keyring(_file_keys["keys"]))
    return _file_keys["ring"]


def forget_key_file() -> None:
    """Read the key file afresh on next use (after writing it)."""
    _file_keys.clear()


# --- values ------------------------------------------------------------------------------------


def encrypt(text: str) -> str:
    """A Fernet token of the text; the empty string stays empty (nothing to hide, and blank
    checks keep working)."""
    if not text:
        return ""
    return keyring()[0].encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    """The text of a token. A value that is not a token is returned as it is (a row written
    before encryption, until the migration or the rotation command has passed over it)."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return token or ""
    try:
        return keyring()[0].decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured("a stored value cannot be decrypted with any configured data key") from None


def is_encrypted(value: str) -> bool:
    return bool(value) and value.startswith(TOKEN_PREFIX)


def rotate(value: str) -> str:
    """The value encrypted under the newest key (plain text is encrypted)."""
    if not value:
        return ""
    if not is_encrypted(value):
        return encrypt(value)
    return keyring()[0].rotate(value.encode()).decode()


def digits(text: str) -> str:
    return "".join(ch for ch in text or "" if ch.isdigit())


def folded(text: str) -> str:
    return (text or "").strip().casefold()


def name_folded(text: str) -> str:
    """A person's name as a caller says it and a clerk types it: NFKC folds full-width letters,
    digits and spaces to half-width (``Ｚｈａｎｇ　Ｓａｎ`` is ``zhang san``), case is folded,
    and the ends trimmed and inner runs of spaces made one."""
    return " ".join(unicodedata.normalize("NFKC", text or "").casefold().split())


NORMALISERS: dict[str, Callable[[str], str]] = {"digits": digits, "text": folded, "name": name_folded}


def blind_index(text: str, normaliser: str = "text", *, key_number: int = 0) -> str:
    """The HMAC of the normalised text under one data key's index key (the newest by default);
    empty for an empty value."""
    value = NORMALISERS[normaliser](text)
    if not value:
        return ""
    return hmac.new(keyring()[1][key_number], value.encode(), hashlib.sha256).hexdigest()


def blind_indexes(text: str, normaliser: str = "text") -> list[str]:
    """The text's index under every configured key: what a look-up compares with."""
    return [index for number in range(len(keyring()[1])) if (index := blind_index(text, normaliser, key_number=number))]


# --- model fields ------------------------------------------------------------------------------


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token. Reads give the plain text; it cannot be filtered on
    (compare a ``BlindIndexField`` instead). ``max_length`` limits the plain text (forms)."""

    encrypted = True

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else (value if value is None else "")

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def to_python(self, value):
        return decrypt(value) if isinstance(value, str) else value


class BlindIndexField(models.CharField):
    """The blind index of another field's value, set whenever the row is saved (``save`` and
    ``gridgov.bulk.insert_objects`` alike)."""

    computed_on_save = True

    def __init__(self, *args, source: str = "", normaliser: str = "text", **kwargs):
        self.source, self.normaliser = source, normaliser
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(source=self.source, normaliser=self.normaliser)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = blind_index(getattr(model_instance, self.source) or "", self.normaliser)
        setattr(model_instance, self.attname, value)
        return value


def newest_key_fingerprint() -> str:
    """Which key encrypts new values, for messages (never the key itself)."""
    return hashlib.sha256(configured_keys()[0].encode()).hexdigest()[:8]


# --- rotation ----------------------------------------------------------------------------------

ROTATE_BATCH = 2000


def encrypted_models() -> list[type[models.Model]]:
    """Every installed model with an encrypted field."""
    from django.apps import apps

    return [model for model in apps.get_models() if any(getattr(f, "encrypted", False) for f in model._meta.concrete_fields)]


def blind_index_fields(model: type[models.Model]) -> list[BlindIndexField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]


def fill_blind_indexes(model: type[models.Model], names: list[str] | None = None) -> int:
    """Compute the named blind indexes (all of the model's by default) for every row from their
    source values, in batches by id through the bulk writer: a data migration adding an index
    calls it with its historical model. Returns the rows written."""
    from django.db import transaction

    from gridgov.bulk import update_rows

    indexes = [f for f in blind_index_fields(model) if names is None or f.name in names]
    sources = sorted({f.source for f in indexes})
    pk_name = model._meta.pk.attname
    done, after = 0, None
    while True:
        rows = model._base_manager.order_by(pk_name)
        if after is not None:
            rows = rows.filter(pk__gt=after)
        batch = list(rows.values_list(pk_name, *sources)[:ROTATE_BATCH])  # decrypted by the field
        if not batch:
            return done
        updates = []
        for pk, *plain in batch:
            values = dict(zip(sources, plain, strict=True))
            updates.append([*(blind_index(values[f.source] or "", f.normaliser) for f in indexes), pk])
        with transaction.atomic():
            update_rows(model, [f.attname for f in indexes], updates)
        done += len(batch)
        after = batch[-1][0]


def reencrypt_model(model: type[models.Model]) -> int:
    """Write every encrypted value of ``model`` again under the newest key, and recompute its
    blind indexes under that key; rows go by id in batches. Returns the rows rewritten."""
    from django.db import transaction

    from gridgov.bulk import update_rows

    encrypted = [f for f in model._meta.concrete_fields if getattr(f, "encrypted", False)]
    indexes = blind_index_fields(model)
    sources = {f.attname: f for f in encrypted}
    names = [f.attname for f in encrypted]
    pk_name = model._meta.pk.attname
    done, after = 0, None
    while True:
        rows = model._base_manager.order_by(pk_name)
        if after is not None:
            rows = rows.filter(pk__gt=after)
        batch = list(rows.values_list(pk_name, *names)[:ROTATE_BATCH])  # decrypted by the field
        if not batch:
            return done
        updates = []
        for pk, *plain in batch:
            values = dict(zip(names, plain, strict=True))
            index_values = [blind_index(values[f.source] or "", f.normaliser) if f.source in sources else "" for f in indexes]
            updates.append([*(values[name] or "" for name in names), *index_values, pk])
        with transaction.atomic():
            update_rows(model, [*names, *(f.attname for f in indexes)], updates)  # encrypts on the way
        done += len(batch)
        after = batch[-1][0]
