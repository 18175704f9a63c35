"""Plain INSERT and UPDATE statements for many rows of a model, run with ``executemany``.

``bulk_create`` and ``bulk_update`` prepare every value through the field API, build a
placeholder (or, for updates, a CASE expression) per row and column, and on SQLite split the
rows into batches of under a hundred; for the hot paths that write many rows (Open311 intake,
grid imports, the demo's year of history) that compilation costs more than the database's work.
These send the same values the ORM would, with one prepared statement per table; encrypted
fields (gridgov/crypto.py) are encrypted on the way, as the ORM would.
"""

from collections.abc import Iterable, Sequence

from django.db import connections, models, router

BATCH = 2000


def _converter(field: models.Field, connection):
    """What the database driver takes for a field's Python value (what bulk_create would send)."""
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.JSONField):
        return lambda value: connection.ops.adapt_json_value(value, field.encoder)
    if getattr(field, "encrypted", False):  # gridgov.crypto.EncryptedTextField
        return lambda value: field.get_db_prep_save(value, connection)
    return lambda value: value


def column_name(field: models.Field) -> str:
    """The database column of a concrete field (Django types ``Field.column`` as optional)."""
    assert field.column is not None, "a concrete field has a column"
    return field.column


def insert_rows(model: type[models.Model], attnames: Sequence[str], rows: Iterable[Sequence]) -> None:
    """INSERT rows of values given in ``attnames`` order (``category_id``, not ``category``).

    No ids come back: read them by a unique column afterwards if they are needed."""
    connection = connections[router.db_for_write(model)]
    fields = {field.attname: field for field in model._meta.concrete_fields}
    converters = [_converter(fields[name], connection) for name in attnames]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table),
        ", ".join(quote(column_name(fields[name])) for name in attnames),
        ", ".join(["%s"] * len(attnames)),
    )
    prepared = [[convert(value) for convert, value in zip(converters, row, strict=True)] for row in rows]
    with connection.cursor() as cursor:
        for start in range(0, len(prepared), BATCH):
            cursor.executemany(sql, prepared[start : start + BATCH])


def insert_objects(model: type[models.Model], objects: Sequence[models.Model], exclude: Iterable[str] = ("id",)) -> None:
    """INSERT model instances, every column but the ``exclude``d ones (the id, by default, which
    the database assigns and which is not read back). ``auto_now`` and ``auto_now_add`` columns
    are stamped, and computed ones (a blind index, gridgov/crypto.py) computed, as ``save`` would."""
    skipped = set(exclude)
    fields = [field for field in model._meta.concrete_fields if field.attname not in skipped]
    stamped = [
        field for field in fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False) or getattr(field, "computed_on_save", False)
    ]  # fmt: skip
    for obj in objects:
        for field in stamped:
            field.pre_save(obj, add=True)
    attnames = [field.attname for field in fields]
    insert_rows(model, attnames, ([getattr(obj, name) for name in attnames] for obj in objects))


def update_rows(model: type[models.Model], attnames: Sequence[str], rows: Iterable[Sequence]) -> None:
    """UPDATE rows by primary key: each row holds the values in ``attnames`` order, then the pk."""
    connection = connections[router.db_for_write(model)]
    fields = {field.attname: field for field in model._meta.concrete_fields}
    converters = [_converter(fields[name], connection) for name in attnames]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(column_name(fields[name]))} = %s" for name in attnames)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(column_name(model._meta.pk))} = %s"
    prepared = [[*(convert(value) for convert, value in zip(converters, row[:-1], strict=True)), row[-1]] for row in rows]
    with connection.cursor() as cursor:
        for start in range(0, len(prepared), BATCH):
            cursor.executemany(sql, prepared[start : start + BATCH])


class PreparedQuery:
    """A queryset of one shape, compiled to SQL once per process and run again with other values.

    For reads on every request where compiling the query costs more than running it (Open311's
    ``GET requests/{id}``: two small queries compiled in 2 ms, run in 0.05 ms). ``build(value)``
    returns the queryset for a value; it is built once with a stand-in value, whose place among
    the statement's parameters is then filled with each call's. Rows come back through the
    ORM's own converters (dates, JSON, booleans), as the queryset would give them.
    """

    def __init__(self, build, stand_in):
        self._build = build
        self._stand_in = stand_in
        self._compiled = None  # replaced whole, so readers need no lock

    def _compile(self):
        queryset = self._build(self._stand_in)
        compiler = queryset.query.get_compiler(queryset.db)
        sql, params = compiler.as_sql()
        places = [n for n, param in enumerate(params) if param == self._stand_in]
        if len(places) != 1:
            raise ValueError(f"the stand-in value appears {len(places)} times among the parameters, not once")
        self._compiled = (compiler, sql, tuple(params), places[0])
        return self._compiled

    def rows(self, value) -> list[tuple]:
        compiler, sql, params, place = self._compiled or self._compile()
        params = (*params[:place], value, *params[place + 1 :])
        with connections[compiler.using].cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        return [tuple(row) for row in compiler.results_iter([fetched])]
