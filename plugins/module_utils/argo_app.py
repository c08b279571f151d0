# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding the Argo CD Application that owns an object, the way Argo CD itself tracks resources.

Argo CD writes ``argocd.argoproj.io/tracking-id: <app>:<group>/<kind>:<ns>/<name>`` (annotation
tracking, the default since 3.0) or the ``app.kubernetes.io/instance`` label (label tracking). The
application part is the plain name for Applications in the control-plane namespace and
``<ns>_<name>`` for "apps in any namespace". Argo CD ignores a tracking id whose object part does
not name the object it sits on (one copied from another manifest); so do we.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mlops.gitops.plugins.module_utils import names, nvj

APP_API_VERSION = "argoproj.io/v1alpha1"
APP_KIND = "Application"
DEFAULT_ARGOCD_NAMESPACE = "argocd"


def app_name(namespace, name, control_namespace):
    """Argo CD's own name for an Application: ``name`` in the control plane, ``<ns>_<name>`` in any other namespace
    (apps in any namespace); the inverse of ``split_app_name``."""
    if namespace and namespace != control_namespace:
        return "{0}_{1}".format(namespace, name)
    return name


def split_app_name(value, control_namespace):
    """``ns_name`` (apps in any namespace) → (ns, name); a plain name lives in the control plane.

    Neither part can contain ``_``, so the first one separates them, as in Argo CD.
    """
    if "_" in value:
        namespace, name = value.split("_", 1)
        if namespace and name:
            return namespace, name
    return control_namespace, value


def parse_app_name(value, control_namespace=DEFAULT_ARGOCD_NAMESPACE):
    """``name`` or ``ns_name`` → (ns, name), or None when it cannot name an Application."""
    if not isinstance(value, str) or not value:
        return None
    namespace, name = split_app_name(value, control_namespace)
    if not names.is_object_name(name) or not names.is_namespace(namespace):
        return None
    return namespace, name


def parse_tracking_id(value):
    """``<app>:<group>/<kind>:<ns>/<name>`` → dict, or None when it is not of that form.

    Same rules as Argo CD's ParseAppInstanceValue: exactly three ``:`` parts, each of the last two
    split by exactly one ``/``; the group (core API) and namespace (cluster-scoped) may be empty.
    """
    if not isinstance(value, str):
        return None
    parts = value.split(":")
    if len(parts) != 3 or not parts[0]:
        return None
    app, group_kind, ns_name = parts
    if group_kind.count("/") != 1 or ns_name.count("/") != 1:
        return None
    group, kind = group_kind.split("/")
    namespace, name = ns_name.split("/")
    if not kind or not name:
        return None
    return {"app": app, "group": group, "kind": kind, "namespace": namespace, "name": name}


def _group_of(obj):
    api_version = obj.get("apiVersion") or ""
    return api_version.rpartition("/")[0] if "/" in api_version else ""


def _matches(tracking, obj):
    """Argo CD's isSelfReferencedObj: the tracking id must name this very object."""
    meta = nvj.metadata(obj)
    namespace = meta.get("namespace") or ""
    return (
        tracking["kind"] == obj.get("kind")
        and tracking["group"] == _group_of(obj)
        and tracking["name"] == meta.get("name")
        and (tracking["namespace"] == namespace or namespace == "")
    )


def find_parent(obj, control_namespace=DEFAULT_ARGOCD_NAMESPACE):
    """The parent Application of ``obj`` as ``{"namespace", "name", "source"}``, or None.

    Order: the ``argocd.argoproj.io/tracking-id`` annotation (annotation tracking), then the
    ``app.kubernetes.io/instance`` label (label tracking), then ``app.kubernetes.io/part-of``.
    A source that is malformed, names another object or cannot name an Application is skipped.
    """
    tracking = parse_tracking_id(nvj.annotations(obj).get(nvj.ANN_TRACKING_ID))
    if tracking and _matches(tracking, obj):
        parsed = parse_app_name(tracking["app"], control_namespace)
        if parsed:
            return {"namespace": parsed[0], "name": parsed[1], "source": "tracking-id"}
    obj_labels = nvj.labels(obj)
    for key, source in ((nvj.LABEL_INSTANCE, "instance-label"), (nvj.LABEL_PART_OF, "part-of-label")):
        parsed = parse_app_name(obj_labels.get(key), control_namespace)
        if parsed:
            return {"namespace": parsed[0], "name": parsed[1], "source": source}
    return None


def app_ref(namespace, name):
    """``Application ns/name`` for messages."""
    return names.describe(APP_KIND, name, namespace)


def manages_namespace(app, namespace):
    """Whether Application ``app`` (a dict) agrees that it deploys into ``namespace``.

    An object's labels and annotations are its author's to write, so the parent it names is only a
    claim. The Application confirms it when its destination is that namespace, or when Argo CD lists
    a resource in that namespace among the Application's ``status.resources`` (apps whose manifests
    set their own namespaces). Anyone who can create objects in such a namespace is already on the
    team that deploys there.
    """
    if not isinstance(app, dict) or not namespace:
        return False
    spec = app.get("spec") if isinstance(app.get("spec"), dict) else {}
    destination = spec.get("destination") if isinstance(spec.get("destination"), dict) else {}
    if destination.get("namespace") == namespace:
        return True
    status = app.get("status") if isinstance(app.get("status"), dict) else {}
    for resource in status.get("resources") or []:
        if isinstance(resource, dict) and resource.get("namespace") == namespace:
            return True
    return False


def confirms(app, obj):
    """THE rule for trusting the parent an object names (``find_parent``), for every step that attributes a job
    to an Application (status, completion Events, triggers): the Application, ``app`` (a dict, or None when it
    does not exist yet: nothing to take over), agrees that it deploys into the object's namespace
    (``manages_namespace``). A job's labels are its author's; they must not attribute it to another team's
    Application."""
    return app is None or manages_namespace(app, nvj.metadata(obj).get("namespace"))


def read_app(api, parent):
    """The Application ``parent`` (``{"namespace", "name"}``) names, or None."""
    return api.get(APP_API_VERSION, APP_KIND, parent["name"], parent["namespace"])


def confirmed_parent(api, obj, control_namespace=DEFAULT_ARGOCD_NAMESPACE):
    """``(parent, app, refusal)``: the parent ``obj`` names (None when none), that Application (None when absent)
    and, when it does not confirm the claim (``confirms``), why: the start of a message that the caller ends
    with what it leaves out and ``UNCONFIRMED_FIX``."""
    parent = find_parent(obj, control_namespace)
    if parent is None:
        return None, None, None
    app = read_app(api, parent)
    if confirms(app, obj):
        return parent, app, None
    refusal = "{0} names {1} as its parent, but that Application does not deploy into namespace {2} " \
        "(spec.destination.namespace, status.resources)".format(
            nvj.ref(obj), app_ref(parent["namespace"], parent["name"]), nvj.metadata(obj).get("namespace"))
    return parent, app, refusal


# The end of every refusal of an unconfirmed parent.
UNCONFIRMED_FIX = "Fix the job's {0} / {1}, or the Application's destination".format(
    nvj.ANN_TRACKING_ID, nvj.LABEL_INSTANCE)
