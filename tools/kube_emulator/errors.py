"""Kubernetes ``Status`` error bodies, worded like the real kube-apiserver's."""

REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


class ApiError(Exception):
    """An error the server answers with a ``Status`` object."""

    def __init__(self, code, message, reason=None, details=None, headers=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason or REASONS.get(code, "Unknown")
        self.details = details
        self.headers = headers or {}

    def status(self):
        body = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body


def qualified(rtype):
    """``configmaps`` or ``notebookvalidationjobs.mlops.mlops.dev``, as used in messages."""
    return f"{rtype.plural}.{rtype.group}" if rtype.group else rtype.plural


def _details(rtype, name):
    details = {"kind": rtype.plural}
    if name:
        details = {"name": name, **({"group": rtype.group} if rtype.group else {}), "kind": rtype.plural}
    elif rtype.group:
        details["group"] = rtype.group
    return details


def not_found(rtype, name):
    return ApiError(404, f'{qualified(rtype)} "{name}" not found', "NotFound", _details(rtype, name))


def namespace_not_found(namespace):
    return ApiError(404, f'namespaces "{namespace}" not found', "NotFound", {"name": namespace, "kind": "namespaces"})


def already_exists(rtype, name):
    return ApiError(409, f'{qualified(rtype)} "{name}" already exists', "AlreadyExists", _details(rtype, name))


def conflict(rtype, name, why="the object has been modified; please apply your changes to the latest version "
                              "and try again"):
    return ApiError(409, f'Operation cannot be fulfilled on {qualified(rtype)} "{name}": {why}', "Conflict",
                    _details(rtype, name))


def invalid(rtype, name, causes):
    """422 with field causes: ``[(reason, field, message), ...]``."""
    texts = [f"{field}: {message}" for _reason, field, message in causes]
    summary = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    details = {"name": name, **({"group": rtype.group} if rtype.group else {}), "kind": rtype.kind,
               "causes": [{"reason": reason, "message": message, "field": field} for reason, field, message in causes]}
    return ApiError(422, f'{rtype.kind} "{name}" is invalid: {summary}', "Invalid", details)


def bad_request(message):
    return ApiError(400, message, "BadRequest")


def not_found_path():
    return ApiError(404, "the server could not find the requested resource", "NotFound", {})


def method_not_allowed():
    return ApiError(405, "the server does not allow this method on the requested resource", "MethodNotAllowed", {})


def unsupported_media_type(content_type, supported):
    return ApiError(415, f'the body of the request was in an unknown format - accepted media types include: '
                         f'{", ".join(supported)}', "UnsupportedMediaType", {})


def expired(message):
    return ApiError(410, message, "Expired")


def forbidden(rtype_plural, group, name, user, verb, namespace, subresource=None):
    resource = rtype_plural + (f"/{subresource}" if subresource else "")
    subject = f'{rtype_plural} "{name}"' if name else rtype_plural
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    message = (f'{subject} is forbidden: User "{user}" cannot {verb} resource "{resource}" in API group "{group}" '
               f'{scope}')
    details = {"name": name, "kind": rtype_plural} if name else {"kind": rtype_plural}
    if group:
        details["group"] = group
    return ApiError(403, message, "Forbidden", details)


def injected(code, message, rtype=None, name=None):
    """The Status body a fault-injected failure answers with, worded like the real error of that code."""
    if code == 404 and rtype is not None and name:
        err = not_found(rtype, name)
    elif code == 409 and rtype is not None and name:
        err = conflict(rtype, name)
    elif code == 429:
        err = ApiError(429, "Too many requests, please try again later.", "TooManyRequests",
                       {"retryAfterSeconds": 1}, headers={"Retry-After": "1"})
    elif code == 503:
        err = ApiError(503, "the server is currently unable to handle the request", "ServiceUnavailable", {})
    elif code == 403:
        err = ApiError(403, "forbidden: injected fault", "Forbidden", {})
    else:
        err = ApiError(code, "Internal error occurred: injected fault", None, {})
    if message:
        err.message = message
    return err
