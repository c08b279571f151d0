"""The resource types the emulator serves: built-in kinds plus every registered CustomResourceDefinition."""

import threading
from dataclasses import dataclass, field

ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


@dataclass
class ResourceType:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    singular: str = ""
    short_names: list = field(default_factory=list)
    categories: list = field(default_factory=list)
    verbs: list = field(default_factory=lambda: list(ALL_VERBS))
    status_subresource: bool = False
    builtin: bool = True          # built-ins accept strategic merge patch; custom resources answer 415
    has_generation: bool = False  # the real server only maintains metadata.generation for some kinds
    extra_subresources: dict = field(default_factory=dict)  # name -> discovery entry overrides

    def __post_init__(self):
        if not self.singular:
            self.singular = self.kind.lower()

    @property
    def api_version(self):
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self):
        """Storage key: one store per group+plural, shared by all versions of a CRD."""
        return (self.group, self.plural)

    def discovery_entries(self):
        entry = {"name": self.plural, "singularName": self.singular, "namespaced": self.namespaced,
                 "kind": self.kind, "verbs": list(self.verbs)}
        if self.short_names:
            entry["shortNames"] = list(self.short_names)
        if self.categories:
            entry["categories"] = list(self.categories)
        entries = [entry]
        if self.status_subresource:
            entries.append({"name": f"{self.plural}/status", "singularName": "", "namespaced": self.namespaced,
                            "kind": self.kind, "verbs": ["get", "patch", "update"]})
        for sub, extra in self.extra_subresources.items():
            entries.append({"name": f"{self.plural}/{sub}", "singularName": "", "namespaced": self.namespaced,
                            **extra})
        return entries


def _b(group, version, plural, kind, namespaced=True, **kw):
    return ResourceType(group, version, plural, kind, namespaced, **kw)


def builtin_types():
    """Built-in kinds with the discovery data of a Kubernetes 1.31 apiserver (the parts we serve)."""
    eviction = {"eviction": {"group": "policy", "version": "v1", "kind": "Eviction", "verbs": ["create"]}}
    return [
        _b("", "v1", "namespaces", "Namespace", False, short_names=["ns"], status_subresource=True,
           verbs=["create", "delete", "get", "list", "patch", "update", "watch"]),
        _b("", "v1", "pods", "Pod", short_names=["po"], categories=["all"], status_subresource=True,
           extra_subresources=eviction),  # pods get metadata.generation only from Kubernetes 1.33 on
        _b("", "v1", "configmaps", "ConfigMap", short_names=["cm"]),
        _b("", "v1", "secrets", "Secret"),
        _b("", "v1", "events", "Event", short_names=["ev"]),
        _b("", "v1", "serviceaccounts", "ServiceAccount", short_names=["sa"]),
        _b("", "v1", "services", "Service", short_names=["svc"], categories=["all"], status_subresource=True,
           verbs=["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]),
        _b("apps", "v1", "deployments", "Deployment", short_names=["deploy"], categories=["all"],
           status_subresource=True, has_generation=True),
        _b("apps", "v1", "statefulsets", "StatefulSet", short_names=["sts"], categories=["all"],
           status_subresource=True, has_generation=True),
        _b("apps", "v1", "daemonsets", "DaemonSet", short_names=["ds"], categories=["all"],
           status_subresource=True, has_generation=True),
        _b("apps", "v1", "replicasets", "ReplicaSet", short_names=["rs"], categories=["all"],
           status_subresource=True, has_generation=True),
        _b("batch", "v1", "jobs", "Job", categories=["all"], status_subresource=True, has_generation=True),
        _b("events.k8s.io", "v1", "events", "Event", short_names=["ev"]),
        _b("coordination.k8s.io", "v1", "leases", "Lease"),
        _b("rbac.authorization.k8s.io", "v1", "roles", "Role"),
        _b("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding"),
        _b("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False),
        _b("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False),
        _b("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", False,
           short_names=["crd", "crds"], categories=["api-extensions"], status_subresource=True,
           has_generation=True),
    ]


def crd_types(crd):
    """ResourceTypes for every served version of a CustomResourceDefinition (apiextensions.k8s.io/v1)."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    types = []
    for version in spec.get("versions") or []:
        if version.get("served", True) is False:
            continue
        subresources = version.get("subresources") or {}
        extra = {}
        if "scale" in subresources:
            extra["scale"] = {"group": "autoscaling", "version": "v1", "kind": "Scale",
                              "verbs": ["get", "patch", "update"]}
        types.append(ResourceType(
            group=spec["group"], version=version["name"], plural=names["plural"], kind=names["kind"],
            namespaced=spec.get("scope", "Namespaced") == "Namespaced",
            singular=names.get("singular") or names["kind"].lower(),
            short_names=list(names.get("shortNames") or []), categories=list(names.get("categories") or []),
            status_subresource="status" in subresources, builtin=False, has_generation=True,
            extra_subresources=extra))
    return types


def crd_storage_version(crd):
    for version in (crd.get("spec") or {}).get("versions") or []:
        if version.get("storage"):
            return version["name"]
    return None


class Registry:
    """Thread-safe lookup of resource types by group/version/plural and by apiVersion/kind."""

    def __init__(self):
        self._lock = threading.Lock()
        self._by_path = {}     # (group, version, plural) -> ResourceType
        self._by_kind = {}     # (group, version, kind) -> ResourceType
        self._crd_types = {}   # crd name -> [ResourceType]
        self._builtin_groups = []
        for rtype in builtin_types():
            self._add(rtype)
            if rtype.group not in self._builtin_groups:
                self._builtin_groups.append(rtype.group)

    def _add(self, rtype):
        self._by_path[(rtype.group, rtype.version, rtype.plural)] = rtype
        self._by_kind[(rtype.group, rtype.version, rtype.kind)] = rtype

    def register_crd(self, crd):
        name = crd["metadata"]["name"]
        with self._lock:
            self._remove_locked(name)
            types = crd_types(crd)
            self._crd_types[name] = (types, crd_storage_version(crd))
            for rtype in types:
                self._add(rtype)
        return types

    def unregister_crd(self, name):
        with self._lock:
            return self._remove_locked(name)

    def _remove_locked(self, name):
        types, _ = self._crd_types.pop(name, ([], None))
        for rtype in types:
            self._by_path.pop((rtype.group, rtype.version, rtype.plural), None)
            self._by_kind.pop((rtype.group, rtype.version, rtype.kind), None)
        return types

    def crd_names(self):
        with self._lock:
            return list(self._crd_types)

    def lookup(self, group, version, plural):
        return self._by_path.get((group, version, plural))

    def by_kind(self, api_version, kind):
        group, _, version = api_version.rpartition("/")
        return self._by_kind.get((group, version, kind))

    def types_for(self, group, version):
        with self._lock:
            return [t for (g, v, _), t in self._by_path.items() if g == group and v == version]

    def groups(self):
        """[(group, [versions...], preferred_version)] in a stable order: built-ins first, then CRD groups."""
        with self._lock:
            versions = {}
            for g, v, _ in self._by_path:
                versions.setdefault(g, [])
                if v not in versions[g]:
                    versions[g].append(v)
            preferred = {}
            for types, storage in self._crd_types.values():
                for rtype in types:
                    if rtype.version == storage:
                        preferred[rtype.group] = storage
        order = [g for g in self._builtin_groups if g in versions] + sorted(
            g for g in versions if g not in self._builtin_groups)
        result = []
        for g in order:
            vs = sorted(versions[g], key=_version_priority)
            result.append((g, vs, preferred.get(g, vs[0])))
        return result


def _version_priority(version):
    """Kubernetes version ordering: GA > beta > alpha, higher numbers first."""
    import re
    m = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not m:
        return (3, 0, 0, version)
    major, stage, minor = int(m.group(1)), m.group(2), int(m.group(3) or 0)
    rank = {None: 0, "beta": 1, "alpha": 2}[stage]
    return (rank, -major, -minor, version)
