"""Reading Terraform files with python-hcl2, in one place.

python-hcl2 8.x keeps the quotes of block labels and string values (`'"aws_s3_bucket"'`) and marks
blocks with `__is_block__`; these helpers hide that from the rest of the code.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions

OPTIONS = SerializationOptions(with_comments=False, explicit_blocks=True)
BLOCK_MARK = "__is_block__"


def parse_text(text: str) -> dict[str, Any]:
    return dict(hcl2.loads(text, serialization_options=OPTIONS))


def parse_file(path: Path) -> dict[str, Any]:
    """Parses a file, reusing the result while the file is unchanged (python-hcl2 is slow: about
    2 s for all blueprints). Callers must not modify the returned structure."""
    stat = path.stat()
    return _parse_cached(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=1024)
def _parse_cached(path: str, mtime_ns: int, size: int) -> dict[str, Any]:
    return parse_text(Path(path).read_text(encoding="utf-8"))


def unquote(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def labelled(value: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, body) of each labelled block in `[{'"label"': {...}}, ...]`."""
    if not isinstance(value, list):
        return
    for item in value:
        if isinstance(item, dict):
            for label, body in item.items():
                if isinstance(body, dict):
                    yield unquote(label), body


def blocks(doc: dict[str, Any], kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, body) of each `kind "label" { ... }` block at the top of a parsed file."""
    yield from labelled(doc.get(kind, []))
