"""Legacy (non-aggregated) discovery documents: /version, /api, /api/v1, /apis, /apis/<group>[/<version>].

Aggregated discovery (Accept: ...;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList) is answered with the
legacy documents and Content-Type application/json, which is how an apiserver without that feature answers;
client-go and the Python client both fall back to the legacy format then.
"""

VERSION_INFO = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.0",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2024-08-13T07:28:49Z",
    "goVersion": "go1.22.5",
    "compiler": "gc",
    "platform": "linux/amd64",
    "emulator": "mlops.gitops kube_emulator",
}


def api_versions(server_address):
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def _group_doc(name, versions, preferred):
    return {"name": name,
            "versions": [{"groupVersion": f"{name}/{v}", "version": v} for v in versions],
            "preferredVersion": {"groupVersion": f"{name}/{preferred}", "version": preferred}}


def api_group_list(registry):
    groups = [_group_doc(g, vs, p) for g, vs, p in registry.groups() if g]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(registry, group):
    for g, vs, p in registry.groups():
        if g == group:
            return {"kind": "APIGroup", "apiVersion": "v1", **_group_doc(g, vs, p)}
    return None


def resource_list(registry, group, version):
    types = registry.types_for(group, version)
    if not types:
        return None
    resources = []
    for rtype in sorted(types, key=lambda t: t.plural):
        resources.extend(rtype.discovery_entries())
    doc = {"kind": "APIResourceList", "groupVersion": f"{group}/{version}" if group else version,
           "resources": resources}
    if group:
        doc["apiVersion"] = "v1"
    return doc
