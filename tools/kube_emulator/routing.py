"""What a request names: discovery or a resource (group, version, namespace, name, subresource) and its verb."""

_TRUE = ("1", "true", "True")


class Route:
    """What a request path names."""

    def __init__(self, kind, group="", version="", rtype=None, namespace=None, name=None, subresource=None,
                 watch_path=False, plural=None):
        self.kind = kind                # discovery | resource | notfound
        self.group, self.version = group, version
        self.rtype = rtype
        self.plural = plural or (rtype.plural if rtype else None)
        self.namespace, self.name, self.subresource = namespace, name, subresource
        self.watch_path = watch_path
        self.doc = None


def route(registry, path):
    parts = [p for p in path.split("/") if p]
    if path in ("/version", "/version/"):
        return Route("discovery")
    if not parts or parts[0] not in ("api", "apis"):
        return Route("notfound")
    if parts[0] == "api":
        if len(parts) == 1:
            return Route("discovery")
        group, version, rest = "", parts[1], parts[2:]
    else:
        if len(parts) <= 2:
            return Route("discovery", group=parts[1] if len(parts) == 2 else "")
        group, version, rest = parts[1], parts[2], parts[3:]
    if not rest:
        return Route("discovery", group, version)
    watch_path = False
    if rest[0] == "watch":
        watch_path, rest = True, rest[1:]
        if not rest:
            return Route("notfound")
    namespace = None
    if rest[0] == "namespaces" and len(rest) >= 3 and not (group == "" and len(rest) == 3
                                                          and rest[2] in ("status", "finalize")):
        namespace, rest = rest[1], rest[2:]
    plural = rest[0]
    rtype = registry.lookup(group, version, plural)
    if rtype is None or len(rest) > 3 or (namespace is not None and not rtype.namespaced):
        return Route("notfound", group, version)
    name = rest[1] if len(rest) >= 2 else None
    subresource = rest[2] if len(rest) == 3 else None
    if subresource and not (subresource == "status" and rtype.status_subresource) and \
            subresource not in rtype.extra_subresources:
        return Route("notfound", group, version)
    return Route("resource", group, version, rtype, namespace, name, subresource, watch_path)


def kube_verb(method, route_, params):
    if route_.kind == "discovery":
        return "discovery"
    watching = route_.watch_path or params.get("watch") in _TRUE
    if method == "GET":
        if watching:
            return "watch"
        return "get" if route_.name else "list"
    if method == "POST":
        return "create"
    if method == "PUT":
        return "update"
    if method == "PATCH":
        return "patch"
    if method == "DELETE":
        return "delete" if route_.name else "deletecollection"
    return method.lower()
