"""A retention run's work in a folder: rows of CSV or JSON files, or files (RET-01..03).

The same two moves as a database (``batches.choose`` then ``batches.act``), on a binding read
a row at a time (``files.keys_to_act_on``; no SQL):

- ``choose``: the keys due and held by nothing, in key order, with the files their rows name
  (a CSV row's recording). A folder of CSV or JSON files is rewritten whole by every change,
  so all its keys go in one batch (as the erasure executor gathers a folder's keys first);
  a ``files`` binding's files are deleted one by one, so they are batched like rows.
- ``act``: the folder read again with the holds in force now: the batch's rows still due and
  not held are deleted or have their columns set through ``connectors.apply_changes`` (every
  file written to a temporary, then swapped in together); ``review`` changes nothing. Keys of
  the batch no longer in the folder are reported ``gone``: a batch resumed after the folder
  was rewritten but before dataward committed is counted once.

A crash between the rewrite and dataward's commit leaves the rows gone (or their columns
set) and the batch ``pending``: the next step finds the deleted keys gone and counts them,
sets the columns of rows still there again (the same values), deletes their files, and says
the record was resumed. A crash inside the swap (some files renamed, others not) is the same
case file by file.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from dataward.retention.batches import Acted, Change, Chosen
from dataward.retention.files import FileBindingPlan
from dataward.sources.connectors import apply_changes
from dataward.sources.connectors.base import (
    Connector,
    Row,
    RowChange,
    SourceMisfit,
    SourceUnavailable,
)
from dataward.sources.connectors.blobs import BlobConnector
from dataward.sources.connectors.tabular import TabularConnector

FolderConnector = TabularConnector | BlobConnector


def choose(
    planned: FileBindingPlan,
    connector: FolderConnector,
    connectors: Mapping[str, Connector | Any],
    *,
    after: Any,
    limit: int,
    change: Change,
) -> Chosen:
    """``_choose``, a folder that cannot be read said so (skipped or waits), never a crash."""
    with _read_guard(connector):
        return _choose(planned, connector, connectors, after, limit, change)


def act(
    planned: FileBindingPlan, connector: FolderConnector, keys: Sequence[Any], change: Change
) -> Acted:
    """``_act``, a folder that cannot be read said so (skipped or waits), never a crash."""
    with _read_guard(connector):
        return _act(planned, connector, keys, change)


@contextmanager
def _read_guard(connector: FolderConnector) -> Iterator[None]:
    try:
        yield
    except (ValueError, csv.Error):
        # A file that is not UTF-8 text, or a CSV that is not CSV (as the plan says it).
        raise SourceMisfit("a file is unreadable") from None
    except OSError:
        raise SourceUnavailable(f"source {connector.name} cannot be read") from None


def _choose(
    planned: FileBindingPlan,
    connector: FolderConnector,
    connectors: Mapping[str, Connector | Any],
    after: Any,
    limit: int,
    change: Change,
) -> Chosen:
    """The next keys to act on after ``after`` (as text, in order), and their rows' files."""
    reading = planned.reading
    if reading is None:
        return Chosen([], [])
    binding = reading.binding
    keys = sorted(
        {
            str(row.get(binding.key))
            for row in reading.rows()
            if row.get(binding.key) is not None and _to_act_on(reading, row, change)
        }
    )
    if after is not None:
        keys = [k for k in keys if k > str(after)]
    if isinstance(connector, BlobConnector):
        keys = keys[:limit]
    ref = binding.files
    paths: list[list[Any]] = []
    if change.delete and ref is not None and keys and isinstance(connector, TabularConnector):
        blobs = connectors.get(ref.connection or binding.connection)
        if not isinstance(blobs, BlobConnector):
            raise SourceUnavailable(f"files connection {ref.connection} cannot be reached")
        wanted = set(keys)
        for row in reading.rows():
            key = str(row.get(binding.key))
            if key in wanted:
                paths.extend(
                    [key, blobs.name, str(found["path"])]
                    for found in blobs.files_for([row], ref)
                    if found.get("size") is not None
                )
    return Chosen(list(keys), paths)


def _to_act_on(reading: Any, row: Row, change: Change) -> bool:
    """Due, held by nothing, and not already holding the new values (a row anonymised by
    an earlier run is neither changed nor counted again; as text: a CSV holds text)."""
    days = reading.days(row)
    if days is None or not reading.is_due(row, days) or reading.held_by(row):
        return False
    if change.review or change.delete or not change.values:
        return True
    return any(_text(row.get(c)) != _text(v) for c, v in change.values.items())


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _act(
    planned: FileBindingPlan, connector: FolderConnector, keys: Sequence[Any], change: Change
) -> Acted:
    """The batch's rows still due and not held (holds read now), acted on in one rewrite."""
    reading = planned.reading
    assert reading is not None
    binding = reading.binding
    pattern = str(binding.pattern)
    wanted = {str(k) for k in keys}
    present: set[str] = set()
    still: set[str] = set()
    for row in reading.rows():
        key = str(row.get(binding.key))
        if key not in wanted:
            continue
        present.add(key)
        if _to_act_on(reading, row, change):
            still.add(key)
    if still and not change.review:
        found = sorted(still)
        apply_changes(
            connector, [RowChange(pattern, binding.key, found, change.delete, change.values)]
        )
    acted = [k for k in keys if str(k) in still]
    # A deleted row that is gone went in this batch before a crash (or the organisation
    # removed it since): either way it went, and its files go too.
    gone = [k for k in keys if str(k) not in present] if change.delete else []
    return Acted(acted, gone)
