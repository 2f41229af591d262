"""SQLite only: rebuilds catalog_blueprintversion with its two large columns (metadata, 15 KB, and
source_files, 70-120 KB) last.

SQLite stores a row's columns in order and a long row's tail in a chain of overflow pages, so
reading any column that comes after a large one walks that chain. Every list joins an
environment's or a request's blueprint version and reads its blueprint_id, version and
published_at; with the blobs in the middle of the row, that join cost about 1.5 ms per row
(150 ms for a page of 100 environments at 10,000). PostgreSQL keeps large values out of line
(TOAST), so column order does not matter there and this migration does nothing.

The rebuild is SQLite's own recipe (create, copy, drop, rename, re-create the indexes), done on
the table's current definition with the two columns moved, so nothing else changes.
"""

from __future__ import annotations

from django.db import migrations

TABLE = "catalog_blueprintversion"
LAST = ('"metadata"', '"source_files"')


def _split_top_level(body: str) -> list[str]:
    """The comma-separated items of a CREATE TABLE body, ignoring commas inside parentheses
    and quotes."""
    items, depth, quote, current = [], 0, "", []
    for char in body:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    items.append("".join(current).strip())
    return items


def blobs_last(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [TABLE])
        (create,) = cursor.fetchone()
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
            [TABLE],
        )
        indexes = [row[0] for row in cursor.fetchall()]
    head, _, rest = create.partition("(")
    items = _split_top_level(rest[: rest.rindex(")")])
    columns = [item for item in items if item.startswith('"')]
    constraints = [item for item in items if not item.startswith('"')]
    blobs = [item for item in columns if item.split(" ", 1)[0] in LAST]
    if [item.split(" ", 1)[0] for item in columns[-len(LAST) :]] == list(LAST) or len(blobs) != len(LAST):
        return  # already last (or not this table's expected shape): nothing to do
    ordered = [item for item in columns if item not in blobs] + blobs
    names = ", ".join(item.split(" ", 1)[0] for item in ordered)
    new = f"new__{TABLE}"
    statements = [
        f'CREATE TABLE "{new}" ({", ".join(ordered + constraints)})',
        f'INSERT INTO "{new}" ({names}) SELECT {names} FROM "{TABLE}"',
        f'DROP TABLE "{TABLE}"',
        f'ALTER TABLE "{new}" RENAME TO "{TABLE}"',
        *indexes,
    ]
    assert head.strip().upper().startswith("CREATE TABLE")
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_initial")]

    operations = [migrations.RunPython(blobs_last, migrations.RunPython.noop)]
