# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argo CD notification triggers and templates (ADR-048 Feature 5) into the right place.

Plain Argo CD reads them from ConfigMap ``argocd-notifications-cm`` (keys ``trigger.<name>`` and
``template.<name>``). The Argo CD Operator / OpenShift GitOps generates that ConfigMap from the
``NotificationsConfiguration`` CR ``default-notifications-configuration`` and reverts edits to it,
so there the same keys go into the CR's ``spec.triggers`` / ``spec.templates``. The merge itself is
``argocd_config.apply_map``: only our keys are named in the patch, everyone else's stay.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.mlops.gitops.plugins.module_utils import argocd_config
from ansible_collections.mlops.gitops.plugins.module_utils.argocd_config import (
    ARGOCD_CM, ConfigError, Target, check_target, set_target)
from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeError
from ansible_collections.mlops.gitops.plugins.module_utils.names import describe

CONFIGMAP = "argocd-notifications-cm"
# On an argocd-notifications-cm this collection created (Argo CD's install manifests ship it, a core install does
# not): uninstall deletes it again once our keys are gone and nobody else's are there.
CREATED_BY = "mlops.dev/created-by"
CREATED_BY_US = "mlops.gitops"
CR_API_VERSION = "argoproj.io/v1alpha1"
CR_KIND = "NotificationsConfiguration"
CR_NAME = "default-notifications-configuration"
ROLE_TARGET = "argocd_notifications_target"  # the role's variable for the module's target
RENAMED_TARGETS = {"notifications_cr": "cr"}  # the former spelling of target cr: deprecated, read as cr until 2.0.0
TRIGGER_PREFIX = "trigger."
TEMPLATE_PREFIX = "template."
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]*")  # fullmatch: "$" would accept a trailing newline

# What a trigger condition / template reads from the Application's annotations.


# What the account running the module needs for each target (docs/awx.md's installer Role grants all of them).
_CONFIGMAP_RIGHTS = ("get and patch on configmaps/{0} (create when it is missing, which also reads configmaps/{1}; "
                     "delete on uninstall when it created it)".format(CONFIGMAP, ARGOCD_CM))
_CR_RIGHTS = "get and patch on notificationsconfigurations.argoproj.io/" + CR_NAME
_RIGHTS = {
    "configmap": _CONFIGMAP_RIGHTS,
    "cr": _CR_RIGHTS,
    "auto": "get on notificationsconfigurations.argoproj.io/{0} (to find out whether the Argo CD Operator manages "
            "notifications; asked whenever the server has that resource type) and list on argocds.argoproj.io, then "
            "{1}, or else {2}".format(CR_NAME, _CR_RIGHTS.replace("get and ", ""), _CONFIGMAP_RIGHTS),
}


def rights(target, namespace):
    """The rights ``install`` needs with ``target`` in ``namespace``, for a 403's message."""
    return "{0}, in namespace {1}".format(_RIGHTS.get(target, _RIGHTS["auto"]), namespace)


def _yaml_problem(field, value):
    """Why the notifications controller could not read a trigger (a YAML list of conditions, mappings whose ``when``
    is an expression, ``false`` when left out: notifications-engine's ``triggers.Condition``) or a template (a YAML
    mapping), or None. A value it cannot read stops it from loading the whole ConfigMap."""
    import yaml

    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError as exc:
        return "is not valid YAML: {0}".format(" ".join(str(exc).split()))
    if field == "templates":
        return None if isinstance(parsed, dict) else "must be a YAML mapping (message, title, ...), not {0}".format(
            type(parsed).__name__)
    if not isinstance(parsed, list) or not parsed:
        return "must be a YAML list of conditions (- when: ..., send: [...]), not {0}".format(type(parsed).__name__)
    for number, condition in enumerate(parsed, 1):
        if not isinstance(condition, dict) or not isinstance(condition.get("when", ""), str):
            return "condition {0} must be a mapping whose when is an expression (text)".format(number)
    return None


def check_entries(triggers, templates, state="present"):
    """Raise ConfigError unless every key is ``trigger.<name>`` / ``template.<name>`` with a string value, one the
    notifications controller can read when it is installed (a trigger: a YAML list of conditions; a template: a
    YAML mapping)."""
    for field, entries, prefix in (("triggers", triggers, TRIGGER_PREFIX), ("templates", templates, TEMPLATE_PREFIX)):
        for key, value in (entries or {}).items():
            if not key.startswith(prefix) or not _NAME.fullmatch(key[len(prefix):]):
                raise ConfigError(
                    "{0}: key {1!r} must be {2}<name> (letters, digits, '.', '_', '-'), "
                    "as in argocd-notifications-cm".format(field, key, prefix)
                )
            if not isinstance(value, str):
                raise ConfigError("{0}: the value of {1} must be a string (YAML text), got {2}".format(
                    field, key, type(value).__name__))
            problem = state == "present" and _yaml_problem(field, value)
            if problem:
                raise ConfigError("{0}: {1} {2}; nothing was written".format(field, key, problem))


def _exists(api, api_version, kind, name, namespace):
    return api.get(api_version, kind, name, namespace) is not None


def resolve_target(api, namespace, target="auto"):
    """The ``Target`` that should hold our entries: ``argocd-notifications-cm`` or the ``NotificationsConfiguration``
    (``auto`` picks the CR when the Argo CD Operator manages one)."""
    check_target(target)
    cm = Target("v1", "ConfigMap", CONFIGMAP, namespace)
    cr = Target(CR_API_VERSION, CR_KIND, CR_NAME, namespace)
    if target == "auto":
        operator = api.has_resource(CR_API_VERSION, CR_KIND) and _exists(api, *cr)
        return cr if operator else cm  # the CR's existence was just read
    if target == "cr" and not _exists(api, *cr):
        raise ConfigError(
            "{0} does not exist: enable notifications in the ArgoCD resource (spec.notifications.enabled: true) "
            "so the Argo CD Operator creates it, or use {1} for a plain Argo CD install".format(
                cr.describe(), set_target("configmap", ROLE_TARGET)
            )
        )
    return cr if target == "cr" else cm


def _operator_crs(api, namespace):
    """Names of the ArgoCD resources in ``namespace`` (the Argo CD Operator manages it), [] when none or unreadable."""
    try:
        return argocd_config.argocd_crs(api, namespace)[1]
    except KubeError:
        return []


def _operator_without_notifications(namespace, argocd_names):
    return (
        "namespace {0} is managed by the Argo CD Operator (ArgoCD {1}) with notifications disabled: there is no "
        "{2}, and once notifications are enabled the operator overwrites {3} from that resource, dropping "
        "triggers written into the ConfigMap".format(
            namespace, argocd_names[0], describe(CR_KIND, CR_NAME, namespace), CONFIGMAP)
    )


def _ensure_configmap(api, namespace, check_mode):
    """Create an empty ``argocd-notifications-cm`` where Argo CD runs but the ConfigMap is missing."""
    if _exists(api, "v1", "ConfigMap", CONFIGMAP, namespace):
        return False
    if not _exists(api, "v1", "ConfigMap", ARGOCD_CM, namespace):
        raise ConfigError(
            "found neither ConfigMap {0} nor {1} in namespace {2}: is Argo CD installed there? Set argocd_namespace "
            "(argocd_notifications_namespace for the role) to where Argo CD runs (openshift-gitops for OpenShift "
            "GitOps)".format(CONFIGMAP, ARGOCD_CM, namespace)
        )
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": CONFIGMAP,
            "namespace": namespace,
            "labels": {"app.kubernetes.io/name": CONFIGMAP, "app.kubernetes.io/part-of": "argocd"},
            "annotations": {CREATED_BY: CREATED_BY_US},
        },
        "data": {},
    }
    api.checking(check_mode).create("v1", "ConfigMap", body, namespace=namespace)  # check mode: a dry run
    return True


def _ours_alone(cm, entries):
    """Whether ``cm`` is the ConfigMap we created and holds nothing but ``entries`` (our keys)."""
    meta = cm.get("metadata") or {}
    return ((meta.get("annotations") or {}).get(CREATED_BY) == CREATED_BY_US and not cm.get("binaryData")
            and not set(cm.get("data") or {}) - set(entries))


def _remove_from_configmap(api, namespace, entries, check_mode):
    """Remove our keys; then delete the ConfigMap when we created it and nothing else is in it (a write by
    someone else in between makes the delete's resourceVersion precondition fail: the ConfigMap stays)."""
    target_ref = Target("v1", "ConfigMap", CONFIGMAP, namespace)
    current = api.get(*target_ref)
    if current is None:
        return {"changed": False, "diff": {"before": {}, "after": {}}, "configmap_deleted": False}
    result = argocd_config.apply_map(api, target_ref, ("data",), entries, "absent", check_mode)
    fresh = current if check_mode else api.get(*target_ref)  # check mode: the patch was a dry run
    deleted = False
    if fresh is not None and _ours_alone(fresh, entries):
        try:
            deleted = api.checking(check_mode).delete(
                "v1", "ConfigMap", CONFIGMAP, namespace,
                resource_version=None if check_mode else fresh["metadata"]["resourceVersion"])
        except KubeError as exc:
            if not exc.conflict:
                raise
    result["changed"] = result["changed"] or deleted
    result["configmap_deleted"] = deleted
    return result


def install(api, namespace, triggers, templates, state="present", target="auto", check_mode=False):
    """Merge (``present``) or remove (``absent``) our triggers and templates.

    Returns ``changed``, ``diff`` (our keys only, before/after), ``target``, ``resource`` and ``warnings``.
    ``auto`` refuses to write ``argocd-notifications-cm`` in a namespace the Argo CD Operator manages without
    notifications (it would overwrite the ConfigMap once they are enabled); ``configmap`` does it with a warning.
    Raises ConfigError for what the user fixes, KubeError for API errors."""
    check_entries(triggers, templates, state)
    where = resolve_target(api, namespace, target)
    warnings = []
    if where.choice == "configmap" and state == "present":
        argocd_names = _operator_crs(api, namespace)
        if argocd_names and target == "configmap" and api.has_resource(CR_API_VERSION, CR_KIND) and _exists(
                api, CR_API_VERSION, CR_KIND, CR_NAME, namespace):
            argocd_names = []  # notifications are enabled: forcing the ConfigMap is the user's informed choice
        if argocd_names and target == "auto":
            raise ConfigError(
                _operator_without_notifications(namespace, argocd_names) + ". Enable notifications first: set "
                "spec.notifications.enabled: true in ArgoCD {0}, wait for the operator to create {1}, then run again "
                "(or set {2} to write the ConfigMap anyway)".format(
                    argocd_names[0], CR_NAME, set_target("configmap", ROLE_TARGET))
            )
        if argocd_names:
            warnings.append(_operator_without_notifications(namespace, argocd_names) + "; use {0} or auto once "
                            "notifications are enabled".format(set_target("cr", ROLE_TARGET)))
    if where.choice == "configmap":
        created = state == "present" and _ensure_configmap(api, namespace, check_mode)
        if created and check_mode:  # nothing to read yet: everything of ours would be added
            plan = argocd_config.plan_map({}, dict(triggers, **templates))
            result = {"changed": True, "diff": {"before": {"data": {}}, "after": {"data": plan["after"]}}}
        elif state == "absent":
            result = _remove_from_configmap(api, namespace, dict(triggers, **templates), check_mode)
        else:
            result = argocd_config.apply_map(api, where, ("data",), dict(triggers, **templates), state, check_mode)
            result["changed"] = result["changed"] or created
    else:
        first = argocd_config.apply_map(api, where, ("spec", "triggers"), triggers, state, check_mode)
        second = argocd_config.apply_map(api, where, ("spec", "templates"), templates, state, check_mode)
        result = {
            "changed": first["changed"] or second["changed"],
            "diff": {
                "before": {"spec": {"triggers": first["diff"]["before"]["spec"]["triggers"],
                                    "templates": second["diff"]["before"]["spec"]["templates"]}},
                "after": {"spec": {"triggers": first["diff"]["after"]["spec"]["triggers"],
                                   "templates": second["diff"]["after"]["spec"]["templates"]}},
            },
        }
    result.update(target=where.choice, resource=where.describe(), triggers=sorted(triggers),
                  templates=sorted(templates), warnings=warnings)
    return result
