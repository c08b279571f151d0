"""JSON merge patch (RFC 7386), JSON patch (RFC 6902), strategic merge patch and a simplified server-side apply.

All functions return a new document and never modify their inputs.
"""

import copy

from .errors import ApiError

# Lists that strategic merge patch merges by a key (patchMergeKey in the Kubernetes Go types), by field name.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "env": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "ownerReferences": "uid",
    "conditions": "type",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
}
# Primitive lists with patchStrategy "merge" (union of values).
MERGED_PRIMITIVE_LISTS = {"finalizers"}


def _ports_key(items):
    """Container ports merge on containerPort, service ports on port."""
    for item in items:
        if isinstance(item, dict) and "containerPort" in item:
            return "containerPort"
    return "port"


# ---------------------------------------------------------------- JSON merge patch

def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            result[key] = merge_patch(result.get(key), value)
        else:
            result[key] = copy.deepcopy(value)
    return result


# ---------------------------------------------------------------- JSON patch

def _pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise ApiError(422, f"the server rejected our request due to an error in our request: invalid path {path!r}",
                       "Invalid")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc, parts, op_name, path):
    node = doc
    for part in parts[:-1]:
        if isinstance(node, list):
            try:
                node = node[int(part)]
            except (ValueError, IndexError):
                raise _missing(op_name, path) from None
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise _missing(op_name, path)
    return node


def _missing(op_name, path):
    return ApiError(422, f"the server rejected our request due to an error in our request: "
                         f"jsonpatch {op_name} operation does not apply: doc is missing path: \"{path}\"",
                    "Invalid")


def _get(doc, path, op_name):
    parts = _pointer(path)
    if not parts:
        return doc
    parent = _parent(doc, parts, op_name, path)
    last = parts[-1]
    if isinstance(parent, list):
        try:
            return parent[int(last)]
        except (ValueError, IndexError):
            raise _missing(op_name, path) from None
    if isinstance(parent, dict) and last in parent:
        return parent[last]
    raise _missing(op_name, path)


def _remove(doc, path, op_name):
    parts = _pointer(path)
    parent = _parent(doc, parts, op_name, path)
    last = parts[-1]
    if isinstance(parent, list):
        try:
            return parent.pop(int(last))
        except (ValueError, IndexError):
            raise _missing(op_name, path) from None
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    raise _missing(op_name, path)


def _add(doc, path, value, op_name):
    parts = _pointer(path)
    if not parts:
        return value
    parent = _parent(doc, parts, op_name, path)
    last = parts[-1]
    if isinstance(parent, list):
        if last == "-":
            parent.append(value)
        else:
            try:
                index = int(last)
            except ValueError:
                raise _missing(op_name, path) from None
            if index < 0 or index > len(parent):
                raise ApiError(422, "the server rejected our request due to an error in our request: "
                                    f"unable to access invalid index: {index}", "Invalid")
            parent.insert(index, value)
    elif isinstance(parent, dict):
        if op_name == "replace" and last not in parent:
            raise _missing(op_name, path)
        parent[last] = value
    else:
        raise _missing(op_name, path)
    return doc


def json_patch(target, operations):
    if not isinstance(operations, list):
        raise ApiError(400, "json: cannot unmarshal object into Go value of type jsonpatch.Patch", "BadRequest")
    doc = copy.deepcopy(target)
    for op in operations:
        name = op.get("op") if isinstance(op, dict) else None
        path = op.get("path", "") if isinstance(op, dict) else ""
        if name == "add":
            doc = _add(doc, path, copy.deepcopy(op.get("value")), "add")
        elif name == "remove":
            _remove(doc, path, "remove")
        elif name == "replace":
            parts = _pointer(path)
            if not parts:
                doc = copy.deepcopy(op.get("value"))
            else:
                parent = _parent(doc, parts, "replace", path)
                if isinstance(parent, list):
                    _remove(doc, path, "replace")
                doc = _add(doc, path, copy.deepcopy(op.get("value")), "replace")
        elif name in ("move", "copy"):
            source = op.get("from", "")
            value = _get(doc, source, name)
            if name == "move":
                _remove(doc, source, name)
            doc = _add(doc, path, copy.deepcopy(value), name)
        elif name == "test":
            actual = _get(doc, path, "test")
            if actual != op.get("value"):
                raise ApiError(422, "the server rejected our request due to an error in our request: "
                                    f"testing value {path} failed: test failed", "Invalid")
        else:
            raise ApiError(422, f"the server rejected our request due to an error in our request: "
                                f"Unexpected kind: {name}", "Invalid")
    return doc


# ---------------------------------------------------------------- strategic merge patch

def strategic_merge(target, patch, field_name=None):
    """Strategic merge patch as the Kubernetes Go types define it for the lists in MERGE_KEYS.

    Supported directives: ``null`` deletes a key, ``$patch: delete|replace`` in maps and merged-list items,
    ``$deleteFromPrimitiveList/<field>``; ``$setElementOrder/<field>`` and ``$retainKeys`` are accepted and
    ignored. Lists not known to merge are replaced, like the real server does for atomic lists.
    """
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys") or key.startswith("$setElementOrder/"):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            if isinstance(result.get(field), list):
                result[field] = [v for v in result[field] if v not in (value or [])]
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            merged = strategic_merge(result.get(key), value, key)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            result[key] = _merge_list(result.get(key), value, key)
        else:
            result[key] = value
    return result


def _merge_list(current, patch, field_name):
    current = current if isinstance(current, list) else []
    if field_name in MERGED_PRIMITIVE_LISTS:
        merged = list(current)
        for item in patch:
            if item not in merged:
                merged.append(item)
        return merged
    if any(isinstance(item, dict) and item.get("$patch") == "replace" for item in patch):
        return [copy.deepcopy(i) for i in patch if not (isinstance(i, dict) and i.get("$patch"))]
    key = _ports_key(current + patch) if field_name == "ports" else MERGE_KEYS.get(field_name)
    if not key or not all(isinstance(item, dict) for item in patch):
        return copy.deepcopy(patch)
    merged = list(current)
    for item in patch:
        ident = item.get(key)
        index = next((i for i, existing in enumerate(merged)
                      if isinstance(existing, dict) and existing.get(key) == ident), None)
        if item.get("$patch") == "delete":
            if index is not None:
                merged.pop(index)
            continue
        if index is None:
            merged.append(strategic_merge({}, item, None))
        else:
            merged[index] = strategic_merge(merged[index], item, None)
    return merged


def server_side_apply(existing, applied, builtin):
    """Simplified server-side apply: the applied configuration is merged into the live object.

    Built-in kinds merge lists by their strategic merge keys; custom resources merge maps and replace lists
    (atomic, the CRD default). Unlike the real server there is no managedFields bookkeeping: fields that a
    manager stops applying are kept, not removed, and field ownership conflicts are never reported.
    """
    if builtin:
        return strategic_merge(existing, applied)
    return _apply_merge(existing, applied)


def _apply_merge(target, patch):
    if not isinstance(patch, dict) or not isinstance(target, dict):
        return copy.deepcopy(patch)
    result = dict(target)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _apply_merge(result.get(key), value)
    return result
