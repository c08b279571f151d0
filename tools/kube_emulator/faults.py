"""Fault injection: make chosen requests fail with a given code and/or answer late."""

import itertools
import re
import threading
from dataclasses import dataclass, field

ALLOWED_CODES = {0, 403, 404, 409, 429, 500, 503}


@dataclass
class Fault:
    id: int
    criteria: dict
    nth: int = 1
    count: int = 1
    code: int = 500
    delay: float = 0.0
    message: str = None
    seen: int = field(default=0)

    def matches(self, request):
        for key, wanted in self.criteria.items():
            if key == "path":
                if not re.search(wanted, request.get("path") or ""):
                    return False
            elif key == "method":
                if (request.get("method") or "").upper() != wanted.upper():
                    return False
            elif request.get(key) != wanted:
                return False
        return True


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []
        self._ids = itertools.count(1)

    def inject(self, verb=None, resource=None, namespace=None, name=None, subresource=None, path=None, method=None,
               nth=1, count=1, code=500, delay=0.0, message=None):
        if code not in ALLOWED_CODES:
            raise ValueError(f"fault code must be one of {sorted(ALLOWED_CODES)}, not {code}")
        if nth < 1 or count < 1:
            raise ValueError("nth and count must be >= 1")
        criteria = {k: v for k, v in dict(verb=verb, resource=resource, namespace=namespace, name=name,
                                          subresource=subresource, path=path, method=method).items()
                    if v is not None}
        fault = Fault(next(self._ids), criteria, int(nth), int(count), int(code), float(delay), message)
        with self._lock:
            self._faults.append(fault)
        return fault.id

    def clear(self):
        with self._lock:
            self._faults.clear()

    def active(self):
        with self._lock:
            return [dict(id=f.id, **f.criteria, nth=f.nth, count=f.count, code=f.code, delay=f.delay, seen=f.seen)
                    for f in self._faults]

    def take(self, request):
        """The fault that fires for this request, if any (the first injected one wins)."""
        fired = None
        with self._lock:
            for fault in list(self._faults):
                if not fault.matches(request):
                    continue
                fault.seen += 1
                if fault.seen >= fault.nth + fault.count - 1:
                    self._faults.remove(fault)
                if fired is None and fault.nth <= fault.seen < fault.nth + fault.count:
                    fired = fault
        return fired
