# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The namespace policy of on-success triggers: who may fire what.

The controller holds cluster-wide rights, and whoever may create a NotebookValidationJob writes its
trigger list; so a target in another namespace fires only where the administrator allowed it
(``allowed_namespaces``) or that namespace opted in (``mlops.dev/allow-triggers-from``), and an Application
only when it is the job's own parent and agrees to it. ``refusal`` decides one target, pure; ``refusals``
reads what it needs (the parent Application, the target namespaces) and decides the whole list.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mlops.gitops.plugins.module_utils import argo_app, nvj

ANN_ALLOW_FROM = "mlops.dev/allow-triggers-from"


class Unreadable:
    """In place of a target's Namespace the reconciling account may not read (403): its opt-in is unknown."""

    def __init__(self, error):
        self.error = error


def namespace_opts_in(namespace_obj, source_namespace):
    """Whether a Namespace object's ``mlops.dev/allow-triggers-from`` admits ``source_namespace``."""
    value = nvj.annotations(namespace_obj or {}).get(ANN_ALLOW_FROM)
    if not isinstance(value, str):
        return False
    allowed = [item.strip() for item in value.split(",") if item.strip()]
    return "*" in allowed or source_namespace in allowed


def refusal(target, job, allowed_namespaces, parent, namespace_obj=None, claimed=None):
    """Why ``target`` may not be fired for ``job`` (a message), or None when it may.

    ``parent`` is the NVJ's confirmed parent Application or None; ``claimed`` the parent its tracking id
    or labels name (``argo_app.find_parent``), used to suggest the namespace; ``namespace_obj`` the
    target's Namespace (None when absent, ``Unreadable`` when the account may not read it), needed only for
    other-namespace workloads."""
    source = nvj.metadata(job).get("namespace")
    allowed = list(allowed_namespaces or [])
    admin_allows = "*" in allowed or target["namespace"] in allowed
    what = "{0} {1}/{2}".format(target["kind"], target["namespace"], target["name"])
    if target["kind"] == "Application":
        if parent and parent["namespace"] == target["namespace"] and parent["name"] == target["name"]:
            return None
        if admin_allows:
            return None
        hint = ""
        if claimed and claimed["name"] == target["name"] and claimed["namespace"] != target["namespace"]:
            hint = "; the job's {0} names Application {1}/{2}: set namespace: {1} in the entry".format(
                claimed.get("source") or "tracking id", claimed["namespace"], claimed["name"]
            )
        return (
            "{0} is not the parent Application of {1} (the job must be tracked by it, and the Application "
            "must deploy into the job's namespace) and namespace {2} is not in allowed_namespaces; "
            "target the job's own Application or ask an administrator to allow {2}{3}".format(
                what, nvj.ref(job), target["namespace"], hint
            )
        )
    if target["namespace"] == source or admin_allows:
        return None
    if isinstance(namespace_obj, Unreadable):
        return (
            "{0} is in another namespace than {1}, {2} is not in allowed_namespaces, and whether namespace {2} "
            "opts in (annotation {3}) cannot be read: {4}; the account running the reconcile (the controller's "
            "ServiceAccount, or your credentials) needs get on namespaces, or the administrator must add {2} to "
            "allowed_namespaces".format(what, nvj.ref(job), target["namespace"], ANN_ALLOW_FROM, namespace_obj.error)
        )
    if namespace_opts_in(namespace_obj, source):
        return None
    return (
        "{0} is in another namespace than {1}; the administrator must add {2} to allowed_namespaces, "
        "or namespace {2} must opt in with annotation {3}: {4}".format(
            what, nvj.ref(job), target["namespace"], ANN_ALLOW_FROM, source
        )
    )


def confirmed_parent(api, job, argocd_namespace):
    """The job's parent Application, only when that Application agrees (``argo_app.manages_namespace``):
    a job's labels are its author's to write, and must not let it sync another team's Application."""
    parent, _app, refusal = argo_app.confirmed_parent(api, job, argocd_namespace)
    # an absent Application confirms: nothing to sync yet, the action fails for this target and is retried
    return None if refusal else parent


def refusals(api, job, targets, allowed_namespaces, argocd_namespace, read_namespace):
    """``{target id: why it is refused}`` for the whole list. ``read_namespace(name)`` is the target
    namespace's object or None (read only for other-namespace workloads the administrator did not allow)."""
    parent = claimed = None
    if any(t["kind"] == "Application" for t in targets):
        parent = confirmed_parent(api, job, argocd_namespace)
        claimed = argo_app.find_parent(job, argocd_namespace)
    source = nvj.metadata(job).get("namespace")
    allowed = list(allowed_namespaces or [])
    out = {}
    for target in targets:
        namespace_obj = None
        if target["kind"] != "Application" and target["namespace"] != source:
            if "*" not in allowed and target["namespace"] not in allowed:
                namespace_obj = read_namespace(target["namespace"])
        reason = refusal(target, job, allowed, parent, namespace_obj, claimed)
        if reason:
            out[target["id"]] = reason
    return out
