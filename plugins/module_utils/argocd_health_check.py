# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Feature 1: install (or remove) the Lua health check of a resource kind in Argo CD's configuration.

Plain Argo CD reads it from the ``argocd-cm`` key ``resource.customizations.health.<group>_<kind>``; the
Argo CD Operator (OpenShift GitOps) owns ``argocd-cm`` and reverts edits to it, so there the check is an
entry ``{group, kind, check}`` of the ``ArgoCD`` CR's ``spec.resourceHealthChecks``. ``resolve_target``
finds which one a namespace has; the merge itself is ``argocd_config``'s (``apply_map`` / ``apply_list``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.mlops.gitops.plugins.module_utils import argocd_config, names
from ansible_collections.mlops.gitops.plugins.module_utils.argocd_config import (
    ARGOCD_CM, ARGOCD_KIND, ConfigError, Target, check_target, set_target)
from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeError

HEALTH_KEY_PREFIX = "resource.customizations.health."
ROLE_TARGET = "argocd_health_check_target"  # the role's variable for the module's target
RENAMED_TARGETS = {"argocd_cr": "cr"}  # the former spelling of target cr: deprecated, read as cr until 2.0.0
SET_ARGOCD_NAME = ("argocd_name (in the install and uninstall playbooks and the argocd_health_check module; "
                   "argocd_health_check_argocd_name for the role)")
# What the account running the module needs for each target (docs/awx.md's installer Role grants all of them).
_RIGHTS = {
    "configmap": "get and patch on configmaps/" + ARGOCD_CM,
    "cr": "list, get and patch on argocds.argoproj.io",
    "auto": "list on argocds.argoproj.io (to find out whether the Argo CD Operator manages the namespace; asked "
            "whenever the server has that resource type), then get and patch on the ArgoCD resource if there is "
            "one, else on configmaps/" + ARGOCD_CM,
}


def rights(target, namespace):
    """The rights ``install_health_check`` needs with ``target`` in ``namespace``, for a 403's message."""
    return "{0}, in namespace {1}".format(_RIGHTS.get(target, _RIGHTS["auto"]), namespace)


_KIND = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def health_key(group, kind):
    """The ``argocd-cm`` key Argo CD reads a health check from: ``<group>_<kind>``, or ``<kind>`` for the core
    group (Argo CD's ``settings.convertToOverrideKey``)."""
    return "{}{}_{}".format(HEALTH_KEY_PREFIX, group, kind) if group else HEALTH_KEY_PREFIX + kind


def check_group_kind(group, kind):
    """Raise ConfigError unless ``kind`` is a Kind and ``group`` an API group ('' for the core group)."""
    if not isinstance(kind, str) or not _KIND.fullmatch(kind):
        raise ConfigError("kind must be the resource's Kind, such as NotebookValidationJob (a letter, then letters "
                          "and digits), not {0!r}; nothing was written".format(kind))
    if not isinstance(group, str) or (group and (len(group) > names.MAX_NAME or not names.API_GROUP.fullmatch(group))):
        raise ConfigError("group must be the resource's API group, such as mlops.mlops.dev ('' for the core group), "
                          "not {0!r}; nothing was written".format(group))


# -- target detection -------------------------------------------------------------------------
def _namespace_missing(api, namespace):
    try:
        return api.get("v1", "Namespace", namespace) is None
    except KubeError as exc:
        if exc.forbidden:  # cannot tell; the caller's message covers both cases
            return False
        raise


def resolve_target(api, namespace, target="auto", argocd_name=None):
    """The ``Target`` that should hold the health check: ``argocd-cm`` or the ``ArgoCD`` resource."""
    check_target(target)
    cm = Target("v1", "ConfigMap", ARGOCD_CM, namespace)
    if target == "configmap":
        if api.get(*cm) is None:
            _fail_missing(api, namespace, "ConfigMap {}/{} does not exist".format(namespace, ARGOCD_CM))
        return cm
    api_version, names = argocd_config.argocd_crs(api, namespace)
    if argocd_name:
        names = [name for name in names if name == argocd_name]
    if len(names) == 1:
        return Target(api_version, ARGOCD_KIND, names[0], namespace)
    if len(names) > 1:
        raise ConfigError(
            "namespace {} holds several ArgoCD resources ({}); set {} to the one to configure".format(
                namespace, ", ".join(names), SET_ARGOCD_NAME
            )
        )
    if target == "cr" or argocd_name:
        if api_version is None:
            raise ConfigError(
                "the server has no ArgoCD resource type (argoproj.io); the Argo CD Operator / OpenShift GitOps "
                "is not installed: use {} for a plain Argo CD install".format(set_target("configmap", ROLE_TARGET))
            )
        if argocd_name:
            _fail_missing(api, namespace, "ArgoCD {}/{} does not exist".format(namespace, argocd_name))
        _fail_missing(api, namespace, "namespace {} has no ArgoCD resource".format(namespace))
    if api.get(*cm) is not None:
        return cm
    what = "found neither ConfigMap {}/{} nor an ArgoCD resource (Argo CD Operator)".format(namespace, ARGOCD_CM)
    _fail_missing(api, namespace, what)


def _fail_missing(api, namespace, what):
    if _namespace_missing(api, namespace):
        raise ConfigError(
            "the Argo CD namespace {} does not exist: set it to where Argo CD runs, e.g. openshift-gitops for "
            "OpenShift GitOps (argocd_namespace for the install and uninstall playbooks, "
            "argocd_health_check_namespace for the role, argocd_namespace for the module)".format(namespace)
        )
    raise ConfigError(
        "{}: is Argo CD installed in namespace {}? Set argocd_namespace to its namespace "
        "(openshift-gitops for OpenShift GitOps) or choose the target explicitly".format(what, namespace)
    )


# -- the health check -------------------------------------------------------------------------
def install_health_check(api, namespace, group, kind, check=None, state="present", target="auto",
                         argocd_name=None, check_mode=False):
    """Install (or remove) the Lua health check of ``group/kind`` in Argo CD's configuration.

    ``target`` ``auto`` uses the ``ArgoCD`` CR when the namespace has one (the operator reverts
    edits to ``argocd-cm``), else ``argocd-cm``. Returns ``changed``, ``diff``, ``target``
    (``configmap``/``cr``), ``resource`` and ``warnings``. Raises ``ConfigError`` for what the
    user must fix, ``KubeError`` for API errors (403 included)."""
    check_group_kind(group, kind)
    if state == "present" and not check:
        raise ConfigError("check (the Lua script) is required when state is present")
    where = resolve_target(api, namespace, target, argocd_name)
    warnings = []
    if where.choice == "configmap":
        result = argocd_config.apply_map(api, where, ("data",), {health_key(group, kind): check}, state, check_mode)
        if target == "configmap":
            warnings.extend(_operator_warning(api, namespace))
    else:
        entry = {"group": group, "kind": kind, "check": check}
        result = argocd_config.apply_list(api, where, ("spec", "resourceHealthChecks"), [entry], ("group", "kind"),
                                          state, check_mode)
    result.update(target=where.choice, resource=where.describe(), warnings=warnings)
    return result


def _operator_warning(api, namespace):
    try:
        names = argocd_config.argocd_crs(api, namespace)[1]
    except KubeError:
        return []
    if not names:
        return []
    return [
        "namespace {} has the ArgoCD resource {}: the Argo CD Operator reverts edits to {}; "
        "use {} or auto instead".format(namespace, names[0], ARGOCD_CM, set_target("cr", ROLE_TARGET))
    ]
