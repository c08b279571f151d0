"""The Kubernetes verbs on stored objects: what the apiserver's generic registry does around storage.

Covers metadata bookkeeping (uid, resourceVersion, generation, creationTimestamp), preconditions, the status
subresource split, finalizers, dry run, namespaces and CustomResourceDefinitions.
"""

import base64
import bisect
import copy
import json
import random
import uuid
from datetime import UTC, datetime

from . import errors
from .errors import ApiError
from .patching import json_patch, merge_patch, server_side_apply, strategic_merge
from .validation import validate_metadata

PROTECTED_NAMESPACES = ("default", "kube-system", "kube-public")
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"
# The real server answers DELETE with the deleted object for these, and with a Status for the rest.
_RETURNS_DELETED_OBJECT = {("", "pods"), ("", "services"), ("", "namespaces"),
                           ("apiextensions.k8s.io", "customresourcedefinitions")}
PATCH_TYPES = {
    "application/json-patch+json": "json",
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
}


def now():
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _copy(obj):
    return json.loads(json.dumps(obj))


def _content(obj, drop_status):
    """The part of an object whose change bumps metadata.generation."""
    skip = {"metadata", "status"} if drop_status else {"metadata"}
    return {k: v for k, v in obj.items() if k not in skip}


def _same(a, b):
    """Equality ignoring resourceVersion (a no-op write must not bump it)."""
    ma, mb = dict(a.get("metadata") or {}), dict(b.get("metadata") or {})
    ma.pop("resourceVersion", None)
    mb.pop("resourceVersion", None)
    return ma == mb and {k: v for k, v in a.items() if k != "metadata"} == \
        {k: v for k, v in b.items() if k != "metadata"}


class Api:
    def __init__(self, registry, store):
        self.registry = registry
        self.store = store

    # ------------------------------------------------------------ helpers

    def _require_namespace(self, rtype, namespace):
        if rtype.namespaced and self.store.get(("", "namespaces"), "", namespace) is None:
            raise errors.namespace_not_found(namespace)

    def get(self, rtype, namespace, name):
        obj = self.store.get(rtype.key, namespace if rtype.namespaced else "", name)
        if obj is None:
            raise errors.not_found(rtype, name)
        return self._present(rtype, obj)

    def _present(self, rtype, obj):
        """The object as served at this version (apiVersion of the URL, like a conversion webhook-less CRD)."""
        if obj.get("apiVersion") != rtype.api_version:
            obj = dict(obj, apiVersion=rtype.api_version)
        return obj

    def _check_type_fields(self, rtype, body):
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request was not a JSON object")
        api_version, kind = body.get("apiVersion"), body.get("kind")
        if api_version and api_version != rtype.api_version:
            group = api_version.rpartition("/")[0]
            if group != rtype.group or self.registry.lookup(rtype.group, api_version.rpartition("/")[2],
                                                             rtype.plural) is None:
                raise errors.bad_request(f"the API version in the data ({api_version}) does not match the expected "
                                         f"API version ({rtype.api_version})")
        if kind and kind != rtype.kind:
            raise errors.bad_request(f"the kind in the data ({kind}) does not match the expected kind "
                                     f"({rtype.kind})")

    def _initial_status(self, rtype, body):
        """What PrepareForCreate leaves in .status for kinds with a status subresource."""
        if (rtype.group, rtype.plural) == ("", "pods"):
            return {"phase": "Pending", "qosClass": "BestEffort"}
        if (rtype.group, rtype.plural) == ("", "namespaces"):
            return {"phase": "Active"}
        if (rtype.group, rtype.plural) == ("", "services"):
            return {"loadBalancer": {}}
        return None

    # ------------------------------------------------------------ create

    def create(self, rtype, namespace, body, dry_run=False, keep_status=False):
        """POST. ``keep_status`` (Emulator.load only) keeps .status, uid and creationTimestamp as given."""
        self._check_type_fields(rtype, body)
        obj = body  # callers hand over an object they own (a parsed request body or a copy)
        obj["apiVersion"], obj["kind"] = rtype.api_version, rtype.kind
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise errors.bad_request("metadata must be an object")
        if rtype.namespaced:
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise errors.bad_request("the namespace of the provided object does not match the namespace sent "
                                         "on the request")
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + "".join(random.choice(_NAME_CHARS) for _ in range(5))
        validate_metadata(rtype, obj)
        given = {k: meta.get(k) for k in ("uid", "creationTimestamp")} if keep_status else {}
        for field in ("uid", "resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink",
                      "managedFields"):
            meta.pop(field, None)
        meta["uid"] = given.get("uid") or str(uuid.uuid4())
        meta["creationTimestamp"] = given.get("creationTimestamp") or now()
        if rtype.has_generation:
            meta["generation"] = 1
        else:
            meta.pop("generation", None)
        if rtype.status_subresource and not keep_status:
            status = self._initial_status(rtype, obj)
            obj.pop("status", None)
            if status is not None:
                obj["status"] = status
        self._prepare_kind(rtype, obj, None)
        with self.store.cond:
            self._require_namespace(rtype, namespace)
            if self.store.get(rtype.key, meta.get("namespace", ""), meta["name"]) is not None:
                raise errors.already_exists(rtype, meta["name"])
            if dry_run:
                return self._present(rtype, obj)
            meta["resourceVersion"] = str(self.store.next_rv())
            self.store.put(rtype.key, obj, "ADDED")
            self._after_write(rtype, None, obj)
        return self._present(rtype, obj)

    def _prepare_kind(self, rtype, obj, old):
        """Kind-specific defaults the real registry strategies apply."""
        if (rtype.group, rtype.plural) == ("", "namespaces"):
            obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
            obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
            obj.setdefault("status", {"phase": "Active"})
        elif rtype.plural == "customresourcedefinitions" and rtype.group == "apiextensions.k8s.io":
            self._prepare_crd(obj)

    def _prepare_crd(self, crd):
        spec = crd.get("spec") or {}
        names = spec.get("names") or {}
        expected = f"{names.get('plural')}.{spec.get('group')}"
        if crd["metadata"]["name"] != expected:
            rtype = self.registry.lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions")
            raise errors.invalid(rtype, crd["metadata"]["name"], [(
                "FieldValueInvalid", "metadata.name",
                f'Invalid value: "{crd["metadata"]["name"]}": must be spec.names.plural+"."+spec.group')])
        accepted = dict(names)
        accepted.setdefault("singular", names.get("kind", "").lower())
        accepted.setdefault("listKind", names.get("kind", "") + "List")
        stamp = now()
        crd["status"] = {
            "acceptedNames": accepted,
            "conditions": [
                {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
                 "message": "no conflicts found", "lastTransitionTime": stamp},
                {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                 "message": "the initial names have been accepted", "lastTransitionTime": stamp},
            ],
            "storedVersions": [v["name"] for v in spec.get("versions") or [] if v.get("storage")],
        }

    def _after_write(self, rtype, old, new):
        """Side effects of writes: CRDs register their types; deleted namespaces and CRDs take their objects."""
        is_crd = rtype.group == "apiextensions.k8s.io" and rtype.plural == "customresourcedefinitions"
        if is_crd and new is not None and not new["metadata"].get("deletionTimestamp"):
            self.registry.register_crd(new)
        elif is_crd and new is None:
            for t in self.registry.unregister_crd(old["metadata"]["name"])[:1]:
                self._purge(lambda key, ns, t=t: key == t.key)
        elif (rtype.group, rtype.plural) == ("", "namespaces") and new is None:
            name = old["metadata"]["name"]
            self._purge(lambda key, ns: ns == name)

    def _purge(self, predicate):
        with self.store.cond:
            for key in self.store.all_keys():
                keys, bucket, _ = self.store.sorted_keys(key)
                for ns, name in list(keys):
                    if predicate(key, ns):
                        obj = bucket.get((ns, name))
                        if obj is not None:
                            self._remove(key, obj)

    def _remove(self, key, obj):
        gone = dict(obj, metadata=dict(obj["metadata"], resourceVersion=str(self.store.next_rv())))
        self.store.remove(key, gone, obj)
        return gone

    # ------------------------------------------------------------ update / patch

    def update(self, rtype, namespace, name, body, subresource=None, dry_run=False):
        self._check_type_fields(rtype, body)
        meta = body.get("metadata") or {}
        if meta.get("name") and meta["name"] != name:
            raise errors.bad_request(f"the name of the object ({meta['name']}) does not match the name on the URL "
                                     f"({name})")
        if rtype.namespaced and meta.get("namespace") and meta["namespace"] != namespace:
            raise errors.bad_request("the namespace of the provided object does not match the namespace sent on "
                                     "the request")
        with self.store.cond:
            existing = self.store.get(rtype.key, namespace if rtype.namespaced else "", name)
            if existing is None:
                raise errors.not_found(rtype, name)
            return self._write(rtype, existing, body, subresource, dry_run)

    def patch(self, rtype, namespace, name, patch_type, patch, subresource=None, dry_run=False, force=False):
        if patch_type == "strategic" and not rtype.builtin:
            raise errors.unsupported_media_type("application/strategic-merge-patch+json", [
                "application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"])
        with self.store.cond:
            existing = self.store.get(rtype.key, namespace if rtype.namespaced else "", name)
            if existing is None:
                if patch_type == "apply" and subresource is None:
                    return self._apply_create(rtype, namespace, name, patch, dry_run), True
                raise errors.not_found(rtype, name)
            if patch_type != "json" and not isinstance(patch, dict):
                raise errors.bad_request("json: cannot unmarshal array into Go value of type map[string]interface {}")
            if patch_type == "merge":
                patched = merge_patch(existing, patch)
            elif patch_type == "json":
                patched = json_patch(existing, patch)
            elif patch_type == "strategic":
                patched = strategic_merge(existing, patch)
            else:
                self._check_apply_body(rtype, name, patch)
                patched = server_side_apply(existing, patch, rtype.builtin)
            if not isinstance(patched, dict):
                raise errors.bad_request("the patch did not produce an object")
            pmeta = patched.get("metadata") or {}
            if pmeta.get("name") != name:
                raise errors.bad_request(f"the name of the object ({pmeta.get('name')}) does not match the name on "
                                         f"the URL ({name})")
            return self._write(rtype, existing, patched, subresource, dry_run), False

    def _check_apply_body(self, rtype, name, body):
        if not isinstance(body, dict) or not body.get("apiVersion") or not body.get("kind"):
            raise errors.bad_request("error decoding YAML: Object 'Kind' is missing in apply configuration")
        self._check_type_fields(rtype, body)
        body_name = (body.get("metadata") or {}).get("name")
        if body_name and body_name != name:
            raise errors.bad_request(f"the name of the object ({body_name}) does not match the name on the URL "
                                     f"({name})")

    def _apply_create(self, rtype, namespace, name, body, dry_run):
        self._check_apply_body(rtype, name, body)
        obj = _copy(body)
        obj.setdefault("metadata", {})["name"] = name
        return self.create(rtype, namespace, obj, dry_run=dry_run)

    def _write(self, rtype, existing, new, subresource, dry_run):
        """Replace ``existing`` by ``new`` (a private copy) the way the registry's update strategy does."""
        old_meta = existing["metadata"]
        # Patched documents share untouched subtrees with the stored object (which is never modified in
        # place); only the top level and metadata are modified below, so only those are copied.
        new = dict(new)
        new["metadata"] = dict(new.get("metadata") or {})
        requested_rv = new["metadata"].get("resourceVersion")
        if requested_rv and requested_rv != old_meta["resourceVersion"]:
            raise errors.conflict(rtype, old_meta["name"])
        if subresource == "status":
            status = new.get("status")
            new = dict(existing, metadata=dict(old_meta))
            if status is None:
                new.pop("status", None)
            else:
                new["status"] = status
        else:
            if rtype.status_subresource:
                if "status" in existing:
                    new["status"] = existing["status"]
                else:
                    new.pop("status", None)
            new["apiVersion"], new["kind"] = existing["apiVersion"], existing["kind"]
            meta = new["metadata"]
            if "labels" in meta and isinstance(meta["labels"], dict):
                meta["labels"] = dict(meta["labels"])  # _prepare_kind_update may add a label
            for field in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                          "generation", "namespace", "name"):
                if field in old_meta:
                    meta[field] = old_meta[field]
                else:
                    meta.pop(field, None)
            meta.pop("resourceVersion", None)
            validate_metadata(rtype, new)
            if rtype.has_generation and _content(new, rtype.status_subresource) != \
                    _content(existing, rtype.status_subresource):
                meta["generation"] = old_meta.get("generation", 0) + 1
            self._prepare_kind_update(rtype, new, existing)
        new["metadata"]["resourceVersion"] = old_meta["resourceVersion"]
        if _same(new, existing):
            return self._present(rtype, existing)
        if dry_run:
            return self._present(rtype, new)
        if old_meta.get("deletionTimestamp") and not new["metadata"].get("finalizers"):
            return self._present(rtype, self._delete_now(rtype, existing, new))
        new["metadata"]["resourceVersion"] = str(self.store.next_rv())
        self.store.put(rtype.key, new, "MODIFIED", existing)
        self._after_write(rtype, existing, new)
        return self._present(rtype, new)

    def _prepare_kind_update(self, rtype, new, old):
        if (rtype.group, rtype.plural) == ("", "namespaces"):
            new["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = new["metadata"]["name"]
            new["spec"] = old.get("spec", {})
        elif rtype.group == "apiextensions.k8s.io" and rtype.plural == "customresourcedefinitions":
            self._prepare_crd(new)
            if (old.get("status") or {}).get("acceptedNames") == new["status"]["acceptedNames"]:
                new["status"] = old["status"]  # same names: keep the conditions (and their timestamps)

    # ------------------------------------------------------------ delete

    def delete(self, rtype, namespace, name, options=None, dry_run=False):
        options = options or {}
        with self.store.cond:
            existing = self.store.get(rtype.key, namespace if rtype.namespaced else "", name)
            if existing is None:
                raise errors.not_found(rtype, name)
            if (rtype.group, rtype.plural) == ("", "namespaces") and name in PROTECTED_NAMESPACES:
                raise ApiError(403, f"namespace {name} is forbidden: this namespace may not be deleted",
                               "Forbidden", {"name": name, "kind": "namespaces"})
            self._check_preconditions(rtype, existing, options.get("preconditions") or {})
            meta = existing["metadata"]
            if meta.get("finalizers"):
                if meta.get("deletionTimestamp") or dry_run:
                    return self._present(rtype, existing), 200
                marked = dict(existing, metadata=dict(meta))
                marked["metadata"]["deletionTimestamp"] = now()
                marked["metadata"]["deletionGracePeriodSeconds"] = 0
                if rtype.has_generation:
                    marked["metadata"]["generation"] = meta.get("generation", 0) + 1
                marked["metadata"]["resourceVersion"] = str(self.store.next_rv())
                self.store.put(rtype.key, marked, "MODIFIED", existing)
                return self._present(rtype, marked), 200
            if dry_run:
                return self._delete_reply(rtype, existing), 200
            gone = self._delete_now(rtype, existing, existing)
            return self._delete_reply(rtype, gone), 200

    def _delete_now(self, rtype, existing, final):
        """Remove the object for good; ``final`` is its last state (e.g. with the finalizers cleared)."""
        gone = self._remove(rtype.key, final)
        self._after_write(rtype, existing, None)
        if (rtype.group, rtype.plural) == ("", "namespaces"):
            gone = dict(gone, status={"phase": "Terminating"},
                        metadata=dict(gone["metadata"], deletionTimestamp=now()))
        return gone

    def _delete_reply(self, rtype, obj):
        if not rtype.builtin or (rtype.group, rtype.plural) in _RETURNS_DELETED_OBJECT:
            return self._present(rtype, obj)
        details = {"name": obj["metadata"]["name"], "kind": rtype.plural, "uid": obj["metadata"]["uid"]}
        if rtype.group:
            details["group"] = rtype.group
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}

    def _check_preconditions(self, rtype, existing, preconditions):
        meta = existing["metadata"]
        uid, rv = preconditions.get("uid"), preconditions.get("resourceVersion")
        if uid and uid != meta["uid"]:
            raise errors.conflict(rtype, meta["name"], f"Precondition failed: UID in precondition: {uid}, UID in "
                                                       f"object meta: {meta['uid']}")
        if rv and rv != meta["resourceVersion"]:
            raise errors.conflict(rtype, meta["name"], f"Precondition failed: ResourceVersion in precondition: "
                                                       f"{rv}, ResourceVersion in object meta: "
                                                       f"{meta['resourceVersion']}")

    def evict(self, rtype, namespace, name, body, dry_run=False):
        """POST pods/<name>/eviction: no PodDisruptionBudgets here, so the pod is always deleted."""
        options = (body or {}).get("deleteOptions") or {}
        self.delete(rtype, namespace, name, options, dry_run=dry_run)
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}

    # ------------------------------------------------------------ list

    def iter_matching(self, rtype, namespace, label_sel, field_sel, start_after=None):
        """Objects in (namespace, name) order; yields (ident, obj). ``namespace`` None = all namespaces."""
        keys, bucket, rv = self.store.sorted_keys(rtype.key)
        start = 0
        if namespace is not None and rtype.namespaced:
            start = bisect.bisect_left(keys, (namespace, ""))
        if start_after is not None:
            start = max(start, bisect.bisect_right(keys, start_after))
        name_only = field_sel.single_name() if field_sel else None
        for index in range(start, len(keys)):
            ident = keys[index]
            if namespace is not None and rtype.namespaced and ident[0] != namespace:
                break
            if name_only is not None and ident[1] != name_only:
                continue
            obj = bucket.get(ident)
            if obj is None:
                continue
            if label_sel and not label_sel.matches((obj.get("metadata") or {}).get("labels")):
                continue
            if field_sel and not field_sel.matches(obj):
                continue
            yield ident, obj

    def _count_from(self, rtype, namespace, ident):
        """How many objects sort at or after ``ident`` (within ``namespace`` when given)."""
        keys, _, _ = self.store.sorted_keys(rtype.key)
        start = bisect.bisect_left(keys, ident)
        end = len(keys)
        if namespace is not None and rtype.namespaced:
            end = bisect.bisect_left(keys, (namespace + "\x00", ""))
        return end - start

    def list(self, rtype, namespace, label_sel, field_sel, limit=0, continue_token=None):
        with self.store.cond:
            list_rv = self.store.rv
            start_after = None
            if continue_token:
                start_after, token_rv = decode_continue(continue_token)
                if token_rv < self.store.compacted_rv:
                    raise errors.expired(
                        "The provided continue parameter is too old to display a consistent list result. You can "
                        "start a new list without the continue parameter, or use the continue token in this "
                        "response to retrieve the remainder of the results. Continuing with the provided token "
                        "results in an inconsistent list - objects that were created, modified, or deleted between "
                        "the time the first chunk was returned and now may show up in the list.")
                list_rv = token_rv
            items, last, more = [], None, False
            remaining = None
            selective = (label_sel and not label_sel.empty()) or (field_sel and not field_sel.empty())
            matcher = self.iter_matching(rtype, namespace, label_sel, field_sel, start_after)
            for ident, obj in matcher:
                if limit and len(items) >= limit:
                    more = True
                    if not selective:  # the real server only counts what remains for unfiltered lists
                        remaining = self._count_from(rtype, namespace, ident)
                    break
                items.append(self._present(rtype, obj))
                last = ident
        meta = {"resourceVersion": str(list_rv)}
        if more:
            meta["continue"] = encode_continue(last, list_rv)
            if remaining is not None:
                meta["remainingItemCount"] = remaining
        return {"kind": f"{rtype.kind}List", "apiVersion": rtype.api_version, "metadata": meta, "items": items}

    def delete_collection(self, rtype, namespace, label_sel, field_sel, options=None, dry_run=False):
        with self.store.cond:
            victims = [obj for _, obj in self.iter_matching(rtype, namespace, label_sel, field_sel)]
            deleted = []
            for obj in victims:
                reply, _ = self.delete(rtype, obj["metadata"].get("namespace", ""), obj["metadata"]["name"],
                                       options, dry_run)
                deleted.append(obj if reply.get("kind") == "Status" else reply)
        return {"kind": f"{rtype.kind}List", "apiVersion": rtype.api_version,
                "metadata": {"resourceVersion": str(self.store.rv)}, "items": deleted}

    # ------------------------------------------------------------ direct loading (Emulator.load)

    def load(self, obj):
        """Create ``obj`` as given, status included; creates its namespace when missing."""
        rtype = self.registry.by_kind(obj.get("apiVersion", ""), obj.get("kind", ""))
        if rtype is None:
            raise ValueError(f"no resource type for apiVersion={obj.get('apiVersion')!r} kind={obj.get('kind')!r}")
        namespace = ""
        if rtype.namespaced:
            namespace = (obj.get("metadata") or {}).get("namespace") or "default"
            self.ensure_namespace(namespace)
        return self.create(rtype, namespace, copy.deepcopy(obj), keep_status=True)

    def ensure_namespace(self, name):
        ns_type = self.registry.lookup("", "v1", "namespaces")
        if self.store.get(ns_type.key, "", name) is None:
            try:
                self.create(ns_type, "", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
            except ApiError as err:
                if err.code != 409:
                    raise


def encode_continue(last_ident, rv):
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": list(last_ident)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_continue(token):
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        ns, name = data["start"]
        return (str(ns), str(name)), int(data["rv"])
    except (ValueError, KeyError, TypeError) as exc:
        raise errors.bad_request(f"continue key is not valid: {exc}") from None
