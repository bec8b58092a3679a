"""Parsed workflows of published revisions, kept per process.

A published revision is frozen (decision 0008): its workflow never changes, so it is read
and parsed once per process rather than on every row of a list. The key carries the
publication time, so that a database restored or rebuilt with the same ids cannot serve
another revision's workflow. A revision not yet published (an editor's draft) is read each
time.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime
from threading import Lock

from . import selectors
from .workflow import Workflow, WorkflowError, workflow_of

CACHE_SIZE = 2048
_cache: OrderedDict[tuple[int, datetime], Workflow] = OrderedDict()
_lock = Lock()


def workflows_of_revisions(revisions: Mapping[int, datetime | None]) -> dict[int, Workflow]:
    """Return each revision's parsed workflow by id, from its id and publication time."""
    found: dict[int, Workflow] = {}
    missing = set()
    with _lock:
        for pk, published_at in revisions.items():
            key = (pk, published_at) if published_at is not None else None
            if key is not None and key in _cache:
                _cache.move_to_end(key)
                found[pk] = _cache[key]
            else:
                missing.add(pk)
    if not missing:
        return found
    for pk, definition in selectors.revision_workflows(revision_ids=missing).items():
        try:
            workflow = workflow_of(definition)
        except WorkflowError:
            # A published workflow was validated; one that no longer parses is shown with
            # the default statuses rather than breaking the citizen's list.
            workflow = workflow_of(None)
        found[pk] = workflow
        published_at = revisions[pk]
        if published_at is not None:
            with _lock:
                _cache[(pk, published_at)] = workflow
                if len(_cache) > CACHE_SIZE:
                    _cache.popitem(last=False)
    return found
