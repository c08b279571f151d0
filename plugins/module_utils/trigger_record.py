# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The trigger record on the NotebookValidationJob: the claim-and-record protocol, pure.

Exactly once per completion: the record in ``mlops.dev/trigger-status`` (JSON: the completion ``key`` and one
item per target) is claimed first (targets ``pending``) with a resourceVersion precondition, then the actions
run, then their outcomes are recorded. Every action is idempotent by construction (``trigger_verbs``), so a
replay after a crash between acting and recording is harmless; a ``pending`` claim older than ``CLAIM_TTL``
is taken for such a crash and replayed. The outcomes are also counted per verb and result in flat
annotations (``mlops.dev/triggers-<action>-<result>``) for kube-state-metrics.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json

from ansible_collections.mlops.gitops.plugins.module_utils import nvj, trigger_verbs

CLAIM_TTL = 120  # seconds a ``pending`` claim of another writer is left alone before it is replayed
MAX_MESSAGE = 300

SUCCEEDED = "succeeded"
FAILED = "failed"
DEFERRED = "deferred"
REFUSED = "refused"
PENDING = "pending"
# The record's final results, each counted per action in a flat annotation (see ``outcome_annotations``).
RESULTS = (SUCCEEDED, FAILED, DEFERRED, REFUSED)


def load_record(job, key):
    """The trigger-status targets for completion ``key`` as ``{id: entry}`` ({} for another key)."""
    raw = nvj.annotations(job).get(nvj.ANN_TRIGGER_STATUS)
    try:
        record = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    if not isinstance(record, dict) or record.get("key") != key:
        return {}
    out = {}
    for item in record.get("targets") or []:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            out[item["id"]] = item
    return out


def build_record(key, targets, previous, updates):
    """The new record: every current target in annotation order, ``updates`` over ``previous``; then every
    ``succeeded`` item of ``previous`` no current target holds: a recorded success is never overwritten nor
    dropped, whatever the annotation or the options say now."""
    items, kept = [], set()
    for target in targets:
        item = updates.get(target["id"]) or previous.get(target["id"])
        if item:
            items.append(item)
            kept.add(item["id"])
    items.extend(item for tid, item in previous.items() if tid not in kept and item.get("result") == SUCCEEDED)
    return {"key": key, "targets": items}


def _object_of(tid):
    """``<action>:<apiVersion>/<kind>`` and ``<name>`` of a target id, without its namespace."""
    head, _sep, where = tid.rpartition(":")
    return head, where.split("/", 1)[-1]


def done(target, record):
    """Whether ``record`` holds a success for ``target`` in this completion: under its id, or, for a target whose
    namespace came from the ``argocd_namespace`` option (an Application named without one), for the same action
    and object under any namespace: the option may be misspelt in one run and right in the next, and the
    Application must not be synced twice for one completion."""
    item = record.get(target["id"]) or {}
    if item.get("result") == SUCCEEDED:
        return True
    if not target.get("namespace_from_option"):
        return False
    mine = _object_of(target["id"])
    return any(i.get("result") == SUCCEEDED and _object_of(tid) == mine for tid, i in record.items())


def dump_record(record):
    return json.dumps(record, separators=(",", ":"), sort_keys=False)


def outcome_annotation(action, result):
    """``mlops.dev/triggers-<action>-<result>``: how many of the record's targets have that outcome."""
    return "{0}{1}-{2}".format(nvj.ANN_TRIGGER_COUNT_PREFIX, action, result)


def outcome_annotations(record, current):
    """The record's outcome counts as flat annotations (decimal strings; None removes a count that fell
    to 0), for readers that cannot parse the JSON record: kube-state-metrics' custom-resource metrics
    (roles/notebook_controller_deploy/files/kube-state-metrics.yaml) turn them into labelled series."""
    counts = {}
    for item in record.get("targets") or []:
        action = item["id"].split(":", 1)[0]
        if action in trigger_verbs.ACTIONS and item.get("result") in RESULTS:
            key = outcome_annotation(action, item["result"])
            counts[key] = counts.get(key, 0) + 1
    out = dict((key, None) for key in current if key.startswith(nvj.ANN_TRIGGER_COUNT_PREFIX))
    out.update((key, str(n)) for key, n in counts.items())
    return out


# ``"event": "missing"`` on an item: its outcome's Event could not be recorded (an API error after the action);
# the next reconcile records it (same name: never twice) and drops the mark.
EVENT_MISSING = "missing"


def status_item(target_or_id, result, moment, message=None, event_missing=False):
    item = {
        "id": target_or_id if isinstance(target_or_id, str) else target_or_id["id"],
        "result": result,
        "time": moment,
    }
    if message:
        item["message"] = message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "..."
    if event_missing:
        item["event"] = EVENT_MISSING
    return item


def missing_events(record):
    """The record's items whose Event is still to be recorded."""
    return [item for item in record.values() if item.get("event") == EVENT_MISSING]


def events_recorded(job, key, targets, ids):
    """The record with the ``event`` mark dropped from the items ``ids``, or None when the job ran again."""
    if nvj.completion_key(job) != key:
        return None
    record = load_record(job, key)
    updates = dict((tid, dict((k, v) for k, v in record[tid].items() if k != "event")) for tid in ids if tid in record)
    return build_record(key, targets, record, updates)


def plan(targets, record, moment):
    """Split targets into (to fire, in flight elsewhere): succeeded ones are done; a ``pending``
    claim younger than CLAIM_TTL belongs to another writer; everything else fires (again)."""
    todo, busy = [], []
    for target in targets:
        if done(target, record):
            continue
        item = record.get(target["id"]) or {}
        result = item.get("result")
        if result == PENDING:
            claimed = nvj.parse_time(item.get("time"))
            if claimed and moment - claimed < datetime.timedelta(seconds=CLAIM_TTL):
                busy.append(target)
                continue
        todo.append(target)
    return todo, busy


def claim_record(key, targets, record, todo, stamp):
    """The record claiming ``todo`` (``pending`` at ``stamp``), written before any of them fires."""
    claim = dict((t["id"], status_item(t, PENDING, stamp)) for t in todo)
    return build_record(key, targets, record, claim)


def refusal_record(key, targets, record, refusals, stamp):
    """The record with the refusals (``{id: reason}``): one refused target stops the whole list."""
    items = dict((tid, status_item(tid, REFUSED, stamp, reason)) for tid, reason in refusals.items())
    for tid in refusals:
        previous = record.get(tid) or {}
        if previous.get("result") == REFUSED and previous.get("message") == items[tid].get("message"):
            items[tid] = previous  # unchanged: keep the first time it was refused
    return build_record(key, targets, record, items)


def outcome_record(job, key, targets, outcomes, stamp, unannounced=()):
    """The record with the outcomes (``{id: {result, message}}``) merged into what ``job`` holds now, or
    None when the job ran again meanwhile (the record is stale). ``unannounced``: ids whose Event failed."""
    if nvj.completion_key(job) != key:
        return None
    updates = dict(
        (tid, status_item(tid, out["result"], stamp, out.get("message"), event_missing=tid in unannounced))
        for tid, out in outcomes.items()
    )
    return build_record(key, targets, load_record(job, key), updates)


def record_patch(job, record):
    """The merge patch writing ``record`` and its counts onto ``job``, or None when there is nothing to write."""
    value = None if record is None else dump_record(record)
    if value is None or nvj.annotations(job).get(nvj.ANN_TRIGGER_STATUS) == value:
        return None
    changes = outcome_annotations(record, nvj.annotations(job))
    changes[nvj.ANN_TRIGGER_STATUS] = value
    return {"metadata": {"annotations": changes}}
