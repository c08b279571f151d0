# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The trigger annotation: its YAML loader and its schema, pure.

The annotation is untrusted input written by whoever may create a NotebookValidationJob, while the
controller holds cluster-wide rights. So the size is bounded before parsing, the YAML loader refuses
anchors/aliases and deep nesting, and every entry is checked against a closed schema whose verbs, kinds
and extra fields come from the registry in ``trigger_verbs``. Every problem of the whole list is reported
at once (``TriggerError``), before anything fires.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


try:
    import yaml
except ImportError:  # PyYAML comes with the kubernetes library, whose absence module_runner.kubernetes_problem reports
    yaml = None

from ansible_collections.mlops.gitops.plugins.module_utils import argo_app, names, trigger_verbs

MAX_ANNOTATION_BYTES = 16 * 1024
MAX_DEPTH = 8  # a list of flat mappings needs 2; anything deeper is not a trigger list
DEFAULT_MAX_TARGETS = 20
REQUIRED = ("apiVersion", "kind", "name", "action")
FIELDS = ("apiVersion", "kind", "name", "namespace", "action") + trigger_verbs.FIELDS
# Kinds named explicitly so the refusal says why, not only "unsupported".
FORBIDDEN_KINDS = {
    "Secret": "a trigger never touches credentials",
    "ConfigMap": "a trigger never rewrites configuration",
    "Namespace": "a trigger never touches namespaces",
    "Role": "a trigger never touches RBAC",
    "ClusterRole": "a trigger never touches RBAC",
    "RoleBinding": "a trigger never touches RBAC",
    "ClusterRoleBinding": "a trigger never touches RBAC",
    "ServiceAccount": "a trigger never touches identities",
    "CustomResourceDefinition": "a trigger never touches API definitions",
}


class TriggerError(Exception):
    """The annotation is not a valid trigger list; ``errors`` holds one message per problem."""

    def __init__(self, errors):
        self.errors = list(errors)
        super(TriggerError, self).__init__("; ".join(self.errors))


_LOADER = []


def _loader_class():
    """A SafeLoader without anchors, aliases (YAML bombs) or deep nesting (built on first use, so the
    module imports without PyYAML and can report it missing)."""
    if _LOADER:
        return _LOADER[0]

    class TriggerLoader(yaml.SafeLoader):
        def compose_node(self, parent, index):
            event = self.peek_event()
            if isinstance(event, yaml.AliasEvent):
                raise yaml.YAMLError("YAML aliases (*{0}) are not allowed{1}".format(event.anchor, _mark(event)))
            if getattr(event, "anchor", None):
                raise yaml.YAMLError("YAML anchors (&{0}) are not allowed{1}".format(event.anchor, _mark(event)))
            self._depth = getattr(self, "_depth", 0) + 1
            try:
                if self._depth > MAX_DEPTH:
                    raise yaml.YAMLError("nesting deeper than {0} levels{1}".format(MAX_DEPTH, _mark(event)))
                return super(TriggerLoader, self).compose_node(parent, index)
            finally:
                self._depth -= 1

    _LOADER.append(TriggerLoader)
    return TriggerLoader


def _mark(event):
    mark = getattr(event, "start_mark", None)
    return " (line {0}, column {1})".format(mark.line + 1, mark.column + 1) if mark else ""


def load_annotation(text):
    """The annotation's YAML as Python data. Raises TriggerError; never builds anything but plain data."""
    if not isinstance(text, str):
        raise TriggerError(["the value must be a string"])
    size = len(text.encode("utf-8"))
    if size > MAX_ANNOTATION_BYTES:
        raise TriggerError(
            ["the value is {0} bytes, more than the {1} allowed; list fewer targets".format(size, MAX_ANNOTATION_BYTES)]
        )
    loader = _loader_class()(text)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())
        raise TriggerError(["the value is not valid YAML: {0}; write a YAML list of mappings".format(detail)]) from None
    finally:
        loader.dispose()


def target_id(entry):
    """``<action>:<apiVersion>/<kind>:<ns>/<name>``, the key of a target in the record."""
    return "{0}:{1}/{2}:{3}/{4}".format(
        entry["action"], entry["apiVersion"], entry["kind"], entry["namespace"], entry["name"]
    )


def _entry_errors(raw, where, default_namespace, argocd_namespace, parent=None):
    """(entry or None, errors) for one list item."""
    if not isinstance(raw, dict):
        return None, [
            "{0}: must be a mapping with apiVersion, kind, name and action, not {1}".format(where, _type(raw))
        ]
    errors = _field_errors(raw, where)
    if errors:
        return None, errors
    kind, action = raw["kind"], raw["action"]
    if kind in FORBIDDEN_KINDS:
        return None, [
            "{0}: field 'kind': {1} is never a trigger target ({2}); allowed kinds: {3}".format(
                where, kind, FORBIDDEN_KINDS[kind], _allowed_kinds()
            )
        ]
    if kind not in trigger_verbs.KINDS:
        return None, [
            "{0}: field 'kind': {1!r} is not supported; allowed kinds: {2}".format(where, kind[:60], _allowed_kinds())
        ]
    api_version = trigger_verbs.KINDS[kind]
    if raw["apiVersion"] != api_version:
        errors.append(
            "{0}: field 'apiVersion': {1} is supported as {2}, not {3!r}; set apiVersion: {2}".format(
                where, kind, api_version, raw["apiVersion"][:60]
            )
        )
    errors.extend(_verb_errors(where, action, kind))
    if len(raw["name"]) > names.MAX_NAME:
        errors.append("{0}: field 'name' is {1} characters long; a Kubernetes object name has at most {2}".format(
            where, len(raw["name"]), names.MAX_NAME))
    elif not names.OBJECT_NAME.fullmatch(raw["name"]):
        errors.append(
            "{0}: field 'name': {1!r} is not a Kubernetes object name; "
            "use lower-case letters, digits, '-' and '.'".format(where, raw["name"][:80])
        )
    namespace = raw.get("namespace")
    if namespace is not None and len(namespace) > names.MAX_NAMESPACE:
        errors.append("{0}: field 'namespace' is {1} characters long; a namespace name has at most {2}".format(
            where, len(namespace), names.MAX_NAMESPACE))
    elif namespace is not None and not names.NAMESPACE.fullmatch(namespace):
        errors.append(
            "{0}: field 'namespace': {1!r} is not a namespace name; use lower-case letters, digits and '-'".format(
                where, namespace[:80]
            )
        )
    extra, problems = _extra_fields(raw, where, action, kind)
    errors.extend(problems)
    if errors:
        return None, errors
    from_option = False
    if namespace is None and kind == "Application":
        # The job's own Application lives where its tracking id says (``<ns>_<name>``: apps in any namespace).
        same = parent and parent.get("name") == raw["name"]
        namespace = parent["namespace"] if same else argocd_namespace
        # a parent named without ``<ns>_`` lives in the argocd_namespace too
        from_option = namespace == argocd_namespace
    elif namespace is None:
        namespace = default_namespace
    entry = {"apiVersion": api_version, "kind": kind, "name": raw["name"], "namespace": namespace, "action": action}
    entry.update(extra)
    entry["id"] = target_id(entry)
    # its namespace came from the argocd_namespace option, not from the annotation: the record matches it by
    # action and object alone, so a misspelt option never makes a fired target look new (trigger_record.done)
    entry["namespace_from_option"] = from_option
    return entry, []


def _field_errors(raw, where):
    """Unknown, missing and non-string fields."""
    errors = []
    for key in raw:
        if key not in FIELDS:
            errors.append(
                "{0}: unknown field {1!r}; allowed fields are {2}".format(where, str(key)[:40], ", ".join(FIELDS))
            )
    for key in REQUIRED:
        if key not in raw or raw[key] in (None, ""):
            errors.append("{0}: field {1!r} is missing; add it".format(where, key))
    for key in FIELDS:
        if key in raw and raw[key] is not None and not isinstance(raw[key], str):
            errors.append(
                "{0}: field {1!r} must be a string, not {2}; quote the value".format(where, key, _type(raw[key]))
            )
    return errors


def _verb_errors(where, action, kind):
    """Whether ``action`` is a verb of the registry and acts on ``kind``."""
    verb = trigger_verbs.BY_NAME.get(action)
    if verb is None:
        return ["{0}: field 'action': unknown action {1!r}; use one of {2}".format(
            where, action[:40], ", ".join(trigger_verbs.ACTIONS))]
    if kind in verb.unfit:
        return ["{0}: field 'action': {1} does not apply to {2}: {3}".format(where, action, kind, verb.unfit[kind])]
    if verb.kind(kind) is None:
        return ["{0}: field 'action': {1} does not apply to {2}; use one of {3}".format(
            where, action, kind, ", ".join(trigger_verbs.verbs_for(kind)))]
    return []


def _extra_fields(raw, where, action, kind):
    """({field: value or its default}, errors) for the verbs' extra fields (refresh's ``mode``)."""
    verb = trigger_verbs.BY_NAME.get(action)
    values, errors = {}, []
    for name in trigger_verbs.FIELDS:
        spec = verb.field(name, kind) if verb else None
        value = raw.get(name)
        values[name] = value or (spec.default if spec else None)
        if value is None:
            continue
        if spec is None:
            errors.append("{0}: field {1!r} applies only to {2}; remove it".format(where, name, _users(name)))
        elif value not in spec.choices:
            errors.append("{0}: field {1!r}: {2!r} is not one of {3}; fix the value".format(
                where, name, value[:40], ", ".join(spec.choices)))
    return values, errors


def _users(name):
    """``action refresh of an Application``: who takes the extra field ``name``."""
    def some(kind):
        return ("an " if kind[0] in "AEIOU" else "a ") + kind

    return " or ".join("action {0} of {1}".format(verb, " or ".join(some(kind) for kind in kinds))
                       for verb, kinds in trigger_verbs.field_users(name))


def _type(value):
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "a mapping"}.get(
        type(value), "a " + type(value).__name__
    )


def _allowed_kinds():
    return ", ".join("{0} ({1})".format(kind, api_version) for kind, api_version in trigger_verbs.KINDS.items())


def parse_triggers(text, default_namespace, max_targets=DEFAULT_MAX_TARGETS, argocd_namespace=None, parent=None):
    """Validate the whole annotation and return its targets (dicts with ``id``), or raise TriggerError
    listing every problem. A target's namespace defaults to the NVJ's; an Application's to the namespace
    of the job's parent Application when the entry names that Application (``parent``, from
    ``argo_app.find_parent``: ``<ns>_<name>`` for apps in any namespace), else to the Argo CD namespace."""
    argocd_namespace = argocd_namespace or argo_app.DEFAULT_ARGOCD_NAMESPACE
    data = load_annotation(text)
    if data is None:
        return []
    if not isinstance(data, list):
        raise TriggerError(
            ["the value must be a YAML list of targets (each line starting with '- '), not {0}".format(_type(data))]
        )
    if len(data) > max_targets:
        raise TriggerError(
            ["{0} entries is more than the {1} allowed; list at most {1} targets".format(len(data), max_targets)]
        )
    targets, errors, seen = [], [], {}
    for index, raw in enumerate(data):
        where = "entry {0} of {1}".format(index + 1, len(data))
        entry, problems = _entry_errors(raw, where, default_namespace, argocd_namespace, parent)
        errors.extend(problems)
        if entry is None:
            continue
        if entry["id"] in seen:
            errors.append(
                "{0}: repeats entry {1} (same action and target); remove one".format(where, seen[entry["id"]])
            )
            continue
        seen[entry["id"]] = index + 1
        entry["index"] = index + 1
        targets.append(entry)
    if errors:
        raise TriggerError(errors)
    return targets
