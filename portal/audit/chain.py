"""The audit log's hash chain, without Django: canonical content, hashing and the walk that checks it.

Each event's hash is the SHA-256 of a stable JSON document of its own fields (never its database
id) together with the previous event's hash. Editing, deleting or inserting a row in the middle
breaks the link to the next event; dropping rows at the end is caught by the chain head, which
records the last event's id and hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64
# The fields that make up an event's content, in the order the model declares them.
CONTENT_FIELDS = (
    "created_at",
    "actor_id",
    "actor_name",
    "action",
    "target_type",
    "target_id",
    "target_repr",
    "summary",
    "ip_address",
    "data",
)


def canonical_timestamp(value: dt.datetime) -> str:
    """UTC with microseconds, whatever time zone the database driver hands back."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_content(fields: Mapping[str, Any], prev_hash: str) -> bytes:
    """The bytes that are hashed: sorted keys, no whitespace, UTF-8."""
    document = {name: fields[name] for name in CONTENT_FIELDS}
    document["created_at"] = canonical_timestamp(fields["created_at"])
    document["prev_hash"] = prev_hash
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(fields: Mapping[str, Any], prev_hash: str) -> str:
    return hashlib.sha256(canonical_content(fields, prev_hash)).hexdigest()


@dataclass(frozen=True)
class Link:
    """One stored event as the chain sees it."""

    event_id: int
    fields: Mapping[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainBreak:
    event_id: int | None
    reason: str


@dataclass(frozen=True)
class ChainReport:
    count: int
    last_event_id: int | None
    last_hash: str
    broken: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.broken is None


def chain_walk(
    links: Iterable[Link], *, head_event_id: int | None = None, head_hash: str | None = None
) -> ChainReport:
    """Checks links in id order and stops at the first broken one.

    `head_event_id`/`head_hash` are what the chain head says the last event is; when given, a log
    that ends earlier (rows deleted from the end) or later (rows added around the writer) is broken.
    """
    expected_prev = GENESIS_HASH
    count = 0
    last_id: int | None = None
    for link in links:
        if link.prev_hash != expected_prev:
            return ChainReport(
                count,
                last_id,
                expected_prev,
                ChainBreak(
                    link.event_id,
                    "its previous-hash does not match the hash of the event before it "
                    "(an event was deleted or inserted before it)",
                ),
            )
        if event_hash(link.fields, link.prev_hash) != link.hash:
            return ChainReport(
                count,
                last_id,
                expected_prev,
                ChainBreak(link.event_id, "its content does not match its stored hash (the row was edited)"),
            )
        expected_prev = link.hash
        last_id = link.event_id
        count += 1
    if head_hash is not None and (head_event_id, head_hash) != (last_id, expected_prev):
        return ChainReport(
            count,
            last_id,
            expected_prev,
            ChainBreak(
                head_event_id if head_event_id is not None else last_id,
                f"the chain head names {_event(head_event_id)} as the last one, but the log ends at "
                f"{_event(last_id)} (events were deleted from the end or written around the chain)",
            ),
        )
    return ChainReport(count, last_id, expected_prev, None)


def _event(event_id: int | None) -> str:
    return "no event" if event_id is None else f"event {event_id}"
