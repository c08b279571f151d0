# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one thin layer between this collection and the Kubernetes API.

Every module and the reconcile action plugin talk to the cluster through ``KubeApi``. It is
built from kubernetes.core's own client (``get_api_client``), so the auth options, the
``K8S_AUTH_*`` variables, kubeconfig/in-cluster config and the ansible-operator proxy all work
exactly as they do for ``kubernetes.core.k8s``. Requests go through the dynamic client's raw
``request`` and come back as plain dicts: NVJ statuses carry notebook cell outputs, so building
``ResourceInstance`` trees for them would cost time and memory for nothing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import concurrent.futures
import copy
import datetime
import email.utils
import json
import random
import re
import threading
import time

from ansible_collections.mlops.gitops.plugins.module_utils import kube_import
from ansible_collections.mlops.gitops.plugins.module_utils.names import describe

kube_import.defer()  # before the library's first import: its generated API and model classes only when used

try:
    from kubernetes.dynamic.exceptions import DynamicApiError, ResourceNotFoundError
except ImportError:  # reported by the caller through missing_requirements()
    DynamicApiError = ResourceNotFoundError = None

MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"

# Answers worth the same request again (and a broken connection, status None); everything else is the caller's.
TRANSIENT_CODES = (429, 500, 502, 503, 504)
# The one retry budget of every request (``KubeApi.request``), shaped like amazon.aws's jittered backoff: after the
# n-th transient failure (n = 0, 1, ...) pause for what the server asks in ``Retry-After`` (429 and 503, as the API
# server's priority and fairness and a starting server send it), else for a jittered exponential step, between
# half and all of ``RETRY_DELAY * 2**n``; no pause is longer than ``RETRY_MAX_DELAY``. At most ``RETRY_ATTEMPTS``
# retries and ``RETRY_BUDGET`` seconds of pauses per request, whichever ends first. Retrying a write is safe here:
# patches are merge patches (the same patch twice is the same object) or carry a resourceVersion, creates carry
# a fixed name (a repeat is a 409 the caller reads as "already there"), deletes one uid.
RETRY_ATTEMPTS = 3
RETRY_DELAY = 0.2
RETRY_MAX_DELAY = 5.0
RETRY_BUDGET = 10.0

# KubeApi.conditional_write: the one retry budget (patches sent per call) and the one give-up (a deferral,
# decided again after this many seconds), for every feature.
CONFLICT_ATTEMPTS = 3
CONFLICT_RETRY_AFTER = 5
_UNREAD = object()  # conditional_write without ``current``: read the object first


class KubeError(Exception):
    """An API error with the parts a user needs: status code, reason, server message, target. A request that got
    no HTTP answer has status None, and ``server`` / ``cause`` (``connection_error``)."""

    server = None
    cause = None

    def __init__(self, status, reason, message, target=None, verb=None, retry_after=None):
        self.status = status
        self.retry_after = retry_after  # seconds the server asked to wait (Retry-After on 429/503), or None
        self.reason = reason
        self.server_message = message
        self.target = target
        self.verb = verb
        text = message or reason or "request failed"
        if target and verb:
            text = "{0} {1}: {2}".format(verb, target, text)
        super(KubeError, self).__init__("{0} (HTTP {1})".format(text, status) if status is not None else text)

    @property
    def not_found(self):
        return self.status == 404

    @property
    def conflict(self):
        return self.status == 409

    @property
    def forbidden(self):
        return self.status == 403

    @property
    def transient(self):
        """Worth another try: a 429 or 5xx answer, or no answer at all (status None, ``connection_error``)."""
        return self.status in TRANSIENT_CODES or self.status is None


def _error_from(exc, target, verb):
    """The KubeError for an API answer (an exception with an HTTP status, and the Status body); ``connection_error``
    is the one for no answer."""
    status = exc.status
    reason, message = getattr(exc, "reason", None), None
    body = getattr(exc, "body", None)
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if body:
        try:
            parsed = json.loads(body)
            reason = parsed.get("reason") or reason
            message = parsed.get("message")
        except (ValueError, AttributeError):
            message = str(body)[:500]
    return KubeError(status, reason, message, target=target, verb=verb,
                     retry_after=_retry_after(getattr(exc, "headers", None)) if status in (429, 503) else None)


def _retry_after(headers):
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), or None."""
    value = (headers or {}).get("Retry-After") if hasattr(headers, "get") else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return max(0.0, (moment - datetime.datetime.now(datetime.timezone.utc)).total_seconds())


def backoff(attempt, retry_after=None):
    """The pause before retry number ``attempt`` (0 first): the server's ``Retry-After`` when it sent one, else a
    jittered exponential step; never above ``RETRY_MAX_DELAY``."""
    if retry_after is not None:
        return min(RETRY_MAX_DELAY, retry_after)
    step = min(RETRY_MAX_DELAY, RETRY_DELAY * 2 ** attempt)
    return step / 2 + random.uniform(0, step / 2)


# urllib3 prefixes a connection's own repr ("HTTPSConnection(host='h', port=1): ", or "<...HTTPSConnection object
# at 0x..>: " in 1.26) to the cause; the cause is what a user can act on.
_CONNECTION_PREFIX = re.compile(r"^(?:<[^>]*>|\w+\([^)]*\)): ")


def server_of(exc):
    """``https://host:port`` of the API server a urllib3 error (MaxRetryError, NewConnectionError...) was about,
    or None."""
    pool = getattr(exc, "pool", None) or getattr(getattr(exc, "conn", None), "pool", None)
    if pool is None or not getattr(pool, "host", None):
        return None
    return "{0}://{1}:{2}".format(getattr(pool, "scheme", None) or "https", pool.host, pool.port)


def connection_cause(exc):
    """The innermost reason a request got no HTTP answer (``[Errno 111] Connection refused``, ``Failed to resolve
    'x' ...``, ``_ssl.c:993: The handshake operation timed out``), without urllib3's wrapping."""
    while isinstance(getattr(exc, "reason", None), BaseException):  # MaxRetryError.reason: NewConnectionError...
        exc = exc.reason
    text = str(exc) or exc.__class__.__name__
    return _CONNECTION_PREFIX.sub("", text, count=1)


def connection_error(exc, target, verb, server=None):
    """The KubeError (status None: transient, ``reason`` ConnectionError) for a request that got no HTTP answer
    (refused, reset, DNS, TLS handshake, timeout), naming the API server and the cause."""
    server, cause = server_of(exc) or server or "(unknown address)", connection_cause(exc)
    err = KubeError(None, "ConnectionError", "no answer from the Kubernetes API server {0}: {1}".format(server, cause),
                    target=target, verb=verb)
    err.server, err.cause = server, cause
    return err


def continue_hint(body):
    """A raw JSON list's ``metadata.continue``, read from its tail without decoding the items: kube-apiserver
    writes the list's own metadata last (``...],"kind":"...List","metadata":{"continue":...}}``), and a key
    outside a string cannot hide in the items' text, where every quote is escaped. None when the tail is not
    shaped so or the list has no next page; a hint only, which ``KubeApi._pages`` checks against the decoded page."""
    at = body.rfind(b'"metadata":', max(0, len(body) - 4096)) if body else -1
    if at < 0:
        return None
    try:
        meta = json.JSONDecoder().raw_decode(body[at + len(b'"metadata":'):].decode("utf-8"))[0]
    except ValueError:
        return None
    return (meta.get("continue") or None) if isinstance(meta, dict) else None


def _is_connection_error(exc):
    """A request that got no HTTP answer: urllib3's errors (refused, reset, DNS, TLS, timeouts) or the OSError
    under them."""
    return exc.__class__.__module__.startswith("urllib3") or isinstance(exc, OSError)


class Written:
    """What ``KubeApi.conditional_write`` did.

    ``object``: the object as stored by the write (in a dry run: as the server would store it), else as
    last read (None when it does not exist). ``patch``: the patch the server accepted, without the
    resourceVersion (None when ``decide`` wanted nothing, or on give-up). ``deferred``: None, or the
    give-up entry ``{"what", "reason", "retry_after"}`` for a feature's ``deferred`` list. ``attempts``:
    the patches sent.
    """

    def __init__(self, obj, patch=None, deferred=None, attempts=0):
        self.object = obj
        self.patch = patch
        self.deferred = deferred
        self.attempts = attempts

    @property
    def written(self):
        return self.patch is not None


def _with_version(patch, obj):
    body = dict(patch)
    meta = dict(body.get("metadata") or {})
    meta["resourceVersion"] = ((obj or {}).get("metadata") or {}).get("resourceVersion")
    body["metadata"] = meta
    return body


class KubeApi:
    """Plain-dict access to any resource by apiVersion and kind.

    ``counts`` tallies the requests made by verb, which the reconcile result reports.

    ``dry_run`` (check mode) sends every write (create, patch, update, delete) as a server-side dry run
    (``dryRun=All``), as kubernetes.core does: the API server authorizes, admits and validates it and
    answers with the object as it would be, but stores nothing. So a check run fails on a 403 or an
    invalid object exactly where the real run would.
    """

    def __init__(self, dynamic_client, request_timeout=30, retries=RETRY_ATTEMPTS, dry_run=False):
        self.client = dynamic_client
        self.request_timeout = request_timeout
        self.retries = retries
        self.dry_run = bool(dry_run)
        self.counts = {}
        self._counting = threading.Lock()  # pages of a list are read ahead from another thread (``_pages``)
        self._resources = {}

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_module(cls, module):
        """Build from an AnsibleModule whose argspec includes kubernetes.core's AUTH_ARG_SPEC."""
        from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC

        # get_api_client(module=...) needs kubernetes.core's AnsibleK8SModule (.requires,
        # .server_side_dry_run); the same params as keywords work with a plain AnsibleModule.
        auth = dict((key, module.params.get(key)) for key in AUTH_ARG_SPEC)
        return cls.from_auth(dry_run=module.check_mode, **auth)

    @classmethod
    def from_auth(cls, dry_run=False, **auth):
        """Build from auth keyword arguments (kubeconfig, context, host, api_key, ...) or K8S_AUTH_*;
        ``dry_run`` (check mode): every write is a server-side dry run."""
        from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client

        params = dict((k, v) for k, v in auth.items() if v is not None)
        try:
            client = get_api_client(**params).client
        except Exception as exc:
            # with no discovery cache yet, the client's first request (discovery) is made right here: a 401 or 403
            # must read like the same answer to any later request, not like a traceback
            if isinstance(getattr(exc, "status", None), int):
                raise _error_from(exc, "the API server's discovery (/api, /apis)", "discover") from exc
            if _is_connection_error(exc):
                raise connection_error(exc, "the API server's discovery (/version, /api, /apis)", "discover") from exc
            raise
        return cls(client, dry_run=dry_run)

    @property
    def server(self):
        """The API server's address as the client was configured, or None."""
        return getattr(getattr(self.client, "configuration", None), "host", None)

    def _write_query(self):
        return [("dryRun", "All")] if self.dry_run else []

    def checking(self, check_mode):
        """This API as a step in ``check_mode`` must use it: itself outside check mode; in check mode the same
        client, counters and discovery cache with every write a server-side dry run. The one check-mode switch:
        features never skip a write for check mode, they write through this."""
        if not check_mode or self.dry_run:
            return self
        view = copy.copy(self)
        view.dry_run = True
        return view

    # -- discovery ----------------------------------------------------------------------
    def resource(self, api_version, kind):
        key = (api_version, kind)
        if key not in self._resources:
            try:
                self._resources[key] = self.client.resources.get(api_version=api_version, kind=kind)
            except ResourceNotFoundError:
                raise KubeError(
                    404,
                    "NotFound",
                    "the server has no resource of kind {0} in {1}; is its CRD installed?".format(kind, api_version),
                ) from None
            except DynamicApiError as exc:
                raise _error_from(exc, "{0} {1}".format(api_version, kind), "discover") from exc
            except Exception as exc:  # discovery that got no answer (refused, reset, DNS, TLS)
                if not _is_connection_error(exc):
                    raise
                raise connection_error(exc, "{0} {1}".format(api_version, kind), "discover", self.server) from exc
        return self._resources[key]

    def has_resource(self, api_version, kind):
        try:
            self.resource(api_version, kind)
            return True
        except KubeError as exc:
            if exc.not_found:
                return False
            raise

    def _path(self, api_version, kind, name=None, namespace=None, subresource=None):
        res = self.resource(api_version, kind)
        path = res.path(name=name, namespace=namespace if res.namespaced else None)
        if subresource:
            path = path + "/" + subresource
        return path

    # -- raw request --------------------------------------------------------------------
    def _send(self, method, path, verb, target, timeout, body=None, query=None, content_type=None, retries=None):
        """One request as the client makes it, with the retry budget spent on transient answers (``retries``:
        at most this many, default ``self.retries``); its errors as KubeError. Returns the client's raw response."""
        retries = self.retries if retries is None else retries
        attempt, paused = 0, 0.0
        while True:
            with self._counting:
                self.counts[verb] = self.counts.get(verb, 0) + 1
            try:
                return self.client.request(method, path, body=body, query_params=list(query or []),
                                           content_type=content_type, serialize=False, _request_timeout=timeout)
            except Exception as exc:  # an API answer, or a refused, reset or timed-out connection
                if DynamicApiError is None:
                    raise
                err = (_error_from(exc, target, verb) if isinstance(getattr(exc, "status", None), int)
                       else connection_error(exc, target, verb, self.server))
            pause = backoff(attempt, err.retry_after)
            if not err.transient or attempt >= retries or paused + pause > RETRY_BUDGET:
                raise err
            time.sleep(pause)
            attempt, paused = attempt + 1, paused + pause

    def request(self, method, path, verb, target, body=None, query=None, content_type=None):
        """The answer as a plain dict (None when empty)."""
        data = self._send(method, path, verb, target, self.request_timeout, body=body, query=query,
                          content_type=content_type).data
        return json.loads(data) if data else None

    # -- verbs --------------------------------------------------------------------------
    def get(self, api_version, kind, name, namespace=None):
        """The object as a dict, or None when it does not exist."""
        target = describe(kind, name, namespace)
        try:
            return self.request("GET", self._path(api_version, kind, name, namespace), "get", target)
        except KubeError as exc:
            if exc.not_found:
                return None
            raise

    def _pages(self, api_version, kind, namespace, label_selector, field_selector, page_size):
        """Every page of a list (``limit``/``continue``), decoded one at a time, the next one already on its way.

        The page after this one is asked for before this one is decoded (``json.loads``) and counted by the
        caller, with the continue token read from the raw body's tail (``continue_hint``): kube-apiserver
        encodes page k+1 while the client parses page k, instead of each waiting for the other. The decoded
        page's own token rules: a hint that differs is dropped and the right page asked for. Every page comes
        from the same snapshot (the token pins the first page's resourceVersion), so a list read ahead is the
        same list. In memory: the page being counted and the raw bytes of the next one."""
        path = self._path(api_version, kind, namespace=namespace)
        target = "{0} in {1}".format(kind, namespace or "all namespaces")

        def fetch(token):
            query = [("limit", page_size)]
            if token:
                query.append(("continue", token))
            if label_selector:
                query.append(("labelSelector", label_selector))
            if field_selector:
                query.append(("fieldSelector", field_selector))
            return self._send("GET", path, "list", target, self.request_timeout, query=query).data

        pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        ahead = pool.submit(fetch, None)
        try:
            while ahead is not None:
                body = ahead.result()
                hint = continue_hint(body)
                ahead = pool.submit(fetch, hint) if hint else None
                page = (json.loads(body) if body else None) or {}
                del body
                token = (page.get("metadata") or {}).get("continue")
                if token != hint:  # the tail was not the list's own metadata: read on from the decoded token
                    if ahead is not None:
                        ahead.cancel()
                    ahead = pool.submit(fetch, token) if token else None
                yield page
        finally:  # also when the caller stops early: a page on its way is dropped, not waited for
            if ahead is not None:
                ahead.cancel()
            pool.shutdown(wait=False)

    def list(self, api_version, kind, namespace=None, label_selector=None, field_selector=None, page_size=500):
        """Yield every object, one page in memory at a time."""
        for page in self._pages(api_version, kind, namespace, label_selector, field_selector, page_size):
            yield from page.pop("items", None) or []

    def create(self, api_version, kind, body, namespace=None):
        name = (body.get("metadata") or {}).get("name") or (body.get("metadata") or {}).get("generateName", "")
        path = self._path(api_version, kind, namespace=namespace)
        return self.request("POST", path, "create", describe(kind, name, namespace), body=body,
                            query=self._write_query())

    def patch(self, api_version, kind, name, patch, namespace=None, patch_type=MERGE, subresource=None):
        path = self._path(api_version, kind, name, namespace, subresource)
        target = describe(kind, name, namespace)
        return self.request("PATCH", path, "patch", target, body=patch, content_type=patch_type,
                            query=self._write_query())

    def delete(self, api_version, kind, name, namespace=None, uid=None, resource_version=None):
        """Delete; True when deleted, False when it was already gone. ``uid`` guards against a namesake,
        ``resource_version`` against a change since it was read (both: a 409 ``KubeError``)."""
        body = None
        preconditions = dict((k, v) for k, v in (("uid", uid), ("resourceVersion", resource_version)) if v)
        if preconditions:
            body = {"apiVersion": "v1", "kind": "DeleteOptions", "preconditions": preconditions}
            if self.dry_run:
                # With a body the server reads DeleteOptions from it alone and ignores the query: a dryRun
                # only in the query would delete for real.
                body["dryRun"] = ["All"]
        try:
            path = self._path(api_version, kind, name, namespace)
            self.request("DELETE", path, "delete", describe(kind, name, namespace), body=body,
                         query=self._write_query())
            return True
        except KubeError as exc:
            if exc.not_found:
                return False
            raise

    # -- conditional write -----------------------------------------------------------------
    def conditional_write(self, api_version, kind, name, namespace, decide, what=None, current=_UNREAD,
                          attempts=CONFLICT_ATTEMPTS):
        """Read, decide, write guarded by the resourceVersion; on 409 read again and decide again.

        ``decide(obj) -> merge patch or None`` gets the freshest object (None when it does not exist) and
        returns what to write, or None for nothing; it may be called once per attempt, so it keeps no state
        from an earlier call that the fresh object contradicts. ``current`` is the object the caller already
        holds (None: known not to exist): decided on first without a read. The patch is sent with
        ``metadata.resourceVersion`` of the object it was decided on (a merge patch), so a lost update is a
        409, never a silent overwrite; when the read after a 409 finds the object gone, ``decide`` gets None.
        A 404 on the write itself raises, like every other error: the caller says what a deletion means. In
        check mode (``dry_run``) the write is a server-side dry run like every other.

        After ``attempts`` (``CONFLICT_ATTEMPTS``) patches refused with 409 it gives up: ``Written.deferred``
        is ``{"what", "reason", "retry_after": CONFLICT_RETRY_AFTER}``, for the feature's ``deferred``
        list (the controller requeues); a caller run once by a user turns it into a failure. Other API errors
        raise ``KubeError``. Returns a ``Written``.
        """
        target = describe(kind, name, namespace)
        obj = self.get(api_version, kind, name, namespace) if current is _UNREAD else current
        sent = 0
        while True:
            patch = decide(obj)
            if patch is None:
                return Written(obj, attempts=sent)
            if obj is None:
                raise KubeError(404, "NotFound", "the object does not exist", target=target, verb="patch")
            sent += 1
            try:
                written = self.patch(api_version, kind, name, _with_version(patch, obj), namespace=namespace)
                return Written(written, patch=patch, attempts=sent)
            except KubeError as exc:
                if not exc.conflict:
                    raise
                if sent >= attempts:
                    reason = ("{0} changed under every write (HTTP 409, {1} times); decided again later".format(
                        target, sent))
                    return Written(obj, attempts=sent, deferred={
                        "what": what or target, "reason": reason, "retry_after": CONFLICT_RETRY_AFTER})
            obj = self.get(api_version, kind, name, namespace)

    # -- watch (appended for the wave wait) ---------------------------------------------
    def snapshot(self, api_version, kind, namespace=None, label_selector=None, page_size=500):
        """``(items, resourceVersion)``: every object and the list's version, where a watch resumes."""
        items, version = [], None
        for page in self._pages(api_version, kind, namespace, label_selector, None, page_size):
            version = version or (page.get("metadata") or {}).get("resourceVersion")
            items.extend(page.get("items") or [])
        return items, version

    def watch(self, api_version, kind, namespace=None, resource_version=None, timeout_seconds=60, label_selector=None):
        """Yield ``(type, object)`` watch events (plain dicts) until the server ends the stream after
        ``timeoutSeconds``. An ``ERROR`` event raises KubeError: 410 means the version expired, so list
        again (``snapshot``) and watch from the new version; status None means the stream broke."""
        from kubernetes.watch.watch import iter_resp_lines

        path = self._path(api_version, kind, namespace=namespace)
        target = "{0} in {1}".format(kind, namespace or "all namespaces")
        query = [("watch", "true"), ("timeoutSeconds", max(1, int(timeout_seconds))), ("allowWatchBookmarks", "true")]
        if resource_version:
            query.append(("resourceVersion", resource_version))
        if label_selector:
            query.append(("labelSelector", label_selector))
        # not retried here: the caller's deadline decides whether a broken start is waited out
        resp = self._send("GET", path, "watch", target, (self.request_timeout, max(1, int(timeout_seconds)) +
                                                         self.request_timeout), query=query, retries=0)
        try:
            for line in iter_resp_lines(resp):
                if not line:
                    continue
                event = json.loads(line)
                obj = event.get("object") or {}
                if event.get("type") == "ERROR":
                    raise KubeError(obj.get("code"), obj.get("reason"), obj.get("message"), target=target, verb="watch")
                yield event.get("type"), obj
        except (ValueError, OSError) as exc:
            raise KubeError(None, "StreamBroken", str(exc), target=target, verb="watch") from exc
        except Exception as exc:
            if isinstance(exc, KubeError) or not exc.__class__.__module__.startswith("urllib3"):
                raise
            raise KubeError(None, "StreamBroken", str(exc), target=target, verb="watch") from exc
        finally:
            resp.close()
            if hasattr(resp, "release_conn"):
                resp.release_conn()
