# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Put our entries into Argo CD's configuration without touching anyone else's.

Argo CD's settings come in two shapes, and the Argo CD Operator (OpenShift GitOps) mirrors both in
its CRs, owning the ConfigMaps it generates from them (manual edits there are reverted):

- **maps of name -> string**: ConfigMap ``data`` (``argocd-cm``, ``argocd-notifications-cm``) and the
  ``NotificationsConfiguration`` CR's ``spec.triggers`` / ``spec.templates``. Use ``plan_map`` and
  ``apply_map``: the merge patch names only our keys, so concurrent writers of other keys are safe.
- **lists of entries identified by some fields**: the ``ArgoCD`` CR's ``spec.resourceHealthChecks``
  (identified by ``group`` + ``kind``; ``check`` is the Lua). Use ``plan_list`` and ``apply_list``: a
  merge patch replaces a whole list, so the patch carries ``metadata.resourceVersion`` and a conflict
  (409) is re-read and planned again.

Both ``plan_*`` functions are pure and return ``{"changed", "patch", "before", "after"}``: ``patch``
is the merge-patch value for the field, ``before``/``after`` are what a diff should show (for a map,
only our keys; for a list, the whole list, since it is replaced). ``apply_*`` take a ``KubeApi``, a
``Target`` and the field's path (e.g. ``("spec", "triggers")``),
send their write as a server-side dry run in check mode (``KubeApi.checking``) and return a result with
``changed`` and ``diff``.

Where the entries go is the user's ``target`` (``TARGETS``: ``auto``, ``configmap``, or ``cr`` for the Argo CD
Operator's CR), one spelling for the modules, the roles and the playbooks; each user's ``resolve_target`` turns it
into a ``Target``, the object to write.

Its users: ``argocd_health_check`` (the Lua health check, with target detection) and
``argocd_notifications`` (triggers and templates); what their modules return is ``install_result``'s.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import copy

from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeError
from ansible_collections.mlops.gitops.plugins.module_utils.names import describe

ARGOCD_CM = "argocd-cm"
ARGOCD_KIND = "ArgoCD"
ARGOCD_API_VERSIONS = ("argoproj.io/v1beta1", "argoproj.io/v1alpha1")


# The ``target`` a user chooses: the Argo CD Operator's CR when it manages the namespace, else the ConfigMap (auto),
# or one of them forced.
TARGETS = ("auto", "configmap", "cr")


class ConfigError(Exception):
    """A situation the user fixes (wrong namespace, Argo CD missing, ambiguous target)."""


class Target(collections.namedtuple("Target", "api_version kind name namespace")):
    """The object that holds our entries, as ``resolve_target`` finds it; ``apply_map`` and ``apply_list`` take it."""

    __slots__ = ()

    @property
    def choice(self):
        """The ``target`` value that names this object: ``configmap`` or ``cr``."""
        return "configmap" if self.kind == "ConfigMap" else "cr"

    def describe(self):
        return describe(self.kind, self.name, self.namespace)


def check_target(target):
    """Raise ConfigError unless ``target`` is one of ``TARGETS``."""
    if target not in TARGETS:
        raise ConfigError("target must be one of {0}, not {1!r}".format(", ".join(TARGETS), target))


def set_target(value, role_variable):
    """How a user sets ``target`` to ``value``, in the module, its role (``role_variable``) and the playbooks."""
    return "target {0} (argocd_target in the install and uninstall playbooks, {1} for the role)".format(
        value, role_variable)


# -- pure planning ----------------------------------------------------------------------------
def plan_map(current, entries, state="present"):
    """Set (``present``) or remove (``absent``) ``entries`` (name -> value; for ``absent`` only the
    names count) in the map ``current`` (may be None). Other names are never looked at."""
    current = current or {}
    patch, before, after = {}, {}, {}
    for name, value in entries.items():
        if name in current:
            before[name] = current[name]
        if state == "present":
            after[name] = value
            if current.get(name) != value or name not in current:
                patch[name] = value
        elif name in current:
            patch[name] = None
    return {"changed": bool(patch), "patch": patch, "before": before, "after": after}


def plan_list(current, entries, identity, state="present"):
    """Set or remove ``entries`` (dicts) in the list ``current`` (may be None), matching by the
    fields named in ``identity``. An existing entry is updated in place (its position kept, its
    other fields kept), a new one appended; duplicates of ours collapse to the first. Everything
    else keeps its place. ``patch`` is None when the list ends up empty (the field is removed)."""
    current = list(current or [])

    def key(entry):
        return tuple((entry or {}).get(field, "") or "" for field in identity) if isinstance(entry, dict) else None

    wanted = dict((key(entry), entry) for entry in entries)
    after, placed = [], set()
    for entry in current:
        ident = key(entry)
        if ident not in wanted:
            after.append(entry)
        elif state == "present" and ident not in placed:
            merged = copy.deepcopy(entry)
            merged.update(wanted[ident])
            after.append(merged)
            placed.add(ident)
    if state == "present":
        after.extend(wanted[ident] for ident in wanted if ident not in placed)
    changed = after != current
    return {"changed": changed, "patch": after or None, "before": current, "after": after}


def nested(path, value):
    """``("spec", "x"), v`` -> ``{"spec": {"x": v}}``."""
    for part in reversed(path):
        value = {part: value}
    return value


def dig(obj, path):
    for part in path:
        obj = (obj or {}).get(part) if isinstance(obj, dict) else None
    return obj


# -- applying to the cluster ------------------------------------------------------------------
def _diff(target, path, plan):
    header = "{} {}".format(target.describe(), ".".join(path))
    return {
        "before": nested(path, plan["before"]),
        "after": nested(path, plan["after"]),
        "before_header": header,
        "after_header": header,
    }


def _require(obj, target):
    if obj is None:
        raise ConfigError("{} does not exist".format(target.describe()))
    return obj


def apply_map(api, target, path, entries, state="present", check_mode=False):
    """Merge ``entries`` into the map at ``path`` of the existing object ``target``."""
    api_version, kind, name, namespace = target
    obj = _require(api.get(api_version, kind, name, namespace), target)
    plan = plan_map(dig(obj, path), entries, state)
    result = {"changed": plan["changed"], "diff": _diff(target, path, plan)}
    if plan["changed"]:
        api.checking(check_mode).patch(api_version, kind, name, nested(path, plan["patch"]), namespace=namespace)
    return result


def apply_list(api, target, path, entries, identity, state="present", check_mode=False):
    """Merge ``entries`` into the list at ``path`` of the existing object ``target`` with
    ``KubeApi.conditional_write`` (a merge patch replaces the whole list, so a conflict is re-read and
    planned again). Run once by a user: when the object changes under every write, a 409 ``KubeError``."""
    api_version, kind, name, namespace = target
    planned = {}

    def decide(obj):
        plan = plan_list(dig(_require(obj, target), path), entries, identity, state)
        planned["result"] = {"changed": plan["changed"], "diff": _diff(target, path, plan)}
        return nested(path, plan["patch"]) if plan["changed"] else None

    written = api.checking(check_mode).conditional_write(api_version, kind, name, namespace, decide)
    if written.deferred:
        raise KubeError(409, "Conflict", written.deferred["reason"], target=target.describe(),
                        verb="patch")
    return planned["result"]


# -- the Argo CD Operator's CRs ----------------------------------------------------------------
def argocd_crs(api, namespace):
    """``(api_version, [names])`` of the ArgoCD CRs in ``namespace``; ``(None, [])`` without the CRD."""
    for api_version in ARGOCD_API_VERSIONS:
        if api.has_resource(api_version, ARGOCD_KIND):
            names = sorted(item["metadata"]["name"] for item in api.list(api_version, ARGOCD_KIND, namespace=namespace))
            return api_version, names
    return None, []
