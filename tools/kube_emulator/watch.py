"""Watch streams (chunked, newline-delimited JSON events) for the HTTP handler."""

import json
import time

from . import errors
from .store import Expired

_DUMPS = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_TRUE = ("1", "true", "True")


class WatchMixin:
    """``?watch=1``: synthetic ADDED events or a replay from a resourceVersion, then live events, bookmarks, and
    an ERROR event with a 410 Expired Status when the history no longer reaches back far enough."""

    def _write_chunk(self, data):
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    def _event(self, etype, obj, rtype=None):
        data = self._encode(obj, rtype) if rtype is not None else _DUMPS(obj).encode()
        self._write_chunk(b'{"type":"' + etype.encode() + b'","object":' + data + b"}\n")

    def _watch(self, rtype, namespace, label, field, params):
        api, store = self.emu.api, self.emu.store
        try:
            timeout = float(params.get("timeoutSeconds") or 1800)
        except ValueError:
            raise errors.bad_request("timeoutSeconds must be a number") from None
        deadline = time.monotonic() + timeout
        bookmarks = params.get("allowWatchBookmarks") in _TRUE
        send_initial = params.get("sendInitialEvents") in _TRUE
        rv_param = params.get("resourceVersion") or ""
        bookmark_interval = self.emu.bookmark_interval

        def matches(obj):
            if obj is None:
                return False
            if namespace is not None and rtype.namespaced and obj["metadata"].get("namespace") != namespace:
                return False
            return label.matches(obj["metadata"].get("labels")) and field.matches(obj)

        expired = None
        with store.cond:
            if rv_param in ("", "0") or send_initial:
                initial = [api._present(rtype, obj) for _, obj in api.iter_matching(rtype, namespace, label, field)]
                cursor = store.rv
            else:
                initial = []
                try:
                    cursor = int(rv_param)
                    store.events_after(cursor)
                except ValueError:
                    raise errors.bad_request(f'invalid resource version: "{rv_param}"') from None
                except Expired as exc:
                    expired = exc
        self._code = 200
        self._record()
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                         b"Cache-Control: no-cache, private\r\n\r\n")
        if expired is not None:
            self._event("ERROR", errors.expired(str(expired)).status())
            self.wfile.write(b"0\r\n\r\n")
            return
        for obj in initial:
            self._event("ADDED", obj, rtype)
        if send_initial and bookmarks:
            self._bookmark(rtype, cursor, initial_end=True)
        last_sent = time.monotonic()
        while not store.closed:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            with store.cond:
                try:
                    events = store.events_after(cursor)
                except Expired as exc:
                    self._event("ERROR", errors.expired(str(exc)).status())
                    break
                if not events:
                    store.cond.wait(min(remaining, 0.5, bookmark_interval))
                    events = store.events_after(cursor) if store.compacted_rv <= cursor else []
            for event in events:
                cursor = event.rv
                if event.key != rtype.key:
                    continue
                now_match, was_match = matches(event.obj), matches(event.prev)
                if event.type == "DELETED":
                    if was_match or matches(event.obj):
                        self._event("DELETED", api._present(rtype, event.obj), rtype)
                        last_sent = time.monotonic()
                elif now_match:
                    kind = "MODIFIED" if (event.type == "MODIFIED" and was_match) else "ADDED"
                    self._event(kind, api._present(rtype, event.obj), rtype)
                    last_sent = time.monotonic()
                elif was_match:
                    gone = dict(event.prev, metadata=dict(event.prev["metadata"], resourceVersion=str(event.rv)))
                    self._event("DELETED", api._present(rtype, gone))
                    last_sent = time.monotonic()
            if bookmarks and time.monotonic() - last_sent >= bookmark_interval:
                self._bookmark(rtype, cursor)
                last_sent = time.monotonic()
        if bookmarks and not store.closed:
            self._bookmark(rtype, max(cursor, store.rv))
        self.wfile.write(b"0\r\n\r\n")

    def _bookmark(self, rtype, rv, initial_end=False):
        meta = {"resourceVersion": str(rv)}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        self._event("BOOKMARK", {"kind": rtype.kind, "apiVersion": rtype.api_version, "metadata": meta})

    # ------------------------------------------------------------ control endpoints
