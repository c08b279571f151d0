# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes Events on the objects this collection acts for (core/v1, what ``kubectl describe`` shows)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mlops.gitops.plugins.module_utils import nvj
from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeError

MAX_MESSAGE = 1024  # events.k8s.io caps the note at 1 KiB; keep core Events within the same bound
NORMAL = "Normal"
WARNING = "Warning"


def event_name(obj, reason, discriminator):
    """A deterministic name: the same (object, reason, discriminator) always maps to one Event,
    so a repeated reconcile gets 409 AlreadyExists instead of a duplicate."""
    base = (nvj.metadata(obj).get("name") or "object")[:200]
    digest = nvj.short_hash("{0}|{1}|{2}".format(nvj.metadata(obj).get("uid", ""), reason, discriminator), 16)
    return "{0}.{1}".format(base, digest)


def build_event(obj, event_type, reason, message, name, labels=None, action=None, moment=None, annotations=None):
    meta = nvj.metadata(obj)
    stamp = nvj.rfc3339(moment or nvj.now())
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 3] + "..."
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": dict({"name": name, "namespace": meta.get("namespace"), "labels": dict(labels or {})},
                         **({"annotations": dict(annotations)} if annotations else {})),
        "involvedObject": {
            "apiVersion": obj.get("apiVersion"),
            "kind": obj.get("kind"),
            "name": meta.get("name"),
            "namespace": meta.get("namespace"),
            "uid": meta.get("uid"),
            "resourceVersion": meta.get("resourceVersion"),
        },
        "type": event_type,
        "reason": reason,
        "action": action or reason,
        "message": message,
        "source": {"component": nvj.COMPONENT},
        "reportingComponent": "mlops.dev/" + nvj.COMPONENT,
        "reportingInstance": nvj.COMPONENT,
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "count": 1,
    }


def record(api, obj, event_type, reason, message, discriminator, labels=None, action=None, annotations=None):
    """Create the Event once. Returns ``(event, created)``; ``created`` is False when it already existed.
    In check mode (``api.dry_run``) the create is a server-side dry run: ``created`` says it would be.

    ``discriminator`` names the occurrence (a completion key, a trigger target, an error text):
    the same occurrence never gets a second Event, a new one always does.
    """
    name = event_name(obj, reason, discriminator)
    body = build_event(obj, event_type, reason, message, name, labels=labels, action=action, annotations=annotations)
    namespace = nvj.metadata(obj).get("namespace")
    # Read first: a controller resyncs far more often than things happen, and a resync must not write
    # (not even a create the server rejects with 409).
    existing = api.get("v1", "Event", name, namespace)
    if existing is not None:
        return existing, False
    try:
        return api.create("v1", "Event", body, namespace=namespace), True
    except KubeError as exc:
        if exc.conflict:  # AlreadyExists: this occurrence was recorded before
            return body, False
        raise
