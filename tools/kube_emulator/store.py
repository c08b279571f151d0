"""In-memory object storage with one global resourceVersion counter and a bounded watch history.

Stored objects are treated as immutable: every write stores a new dict, so readers (lists, watch history)
can hand out references without copying the whole store.
"""

import bisect
import threading
from dataclasses import dataclass


@dataclass
class Event:
    rv: int
    key: tuple        # (group, plural)
    type: str         # ADDED, MODIFIED, DELETED
    obj: dict
    prev: dict = None


class Expired(Exception):
    def __init__(self, requested, oldest):
        super().__init__(f"too old resource version: {requested} ({oldest})")
        self.requested = requested
        self.oldest = oldest


class Store:
    def __init__(self, history_limit=10000, initial_rv=1000):
        self.cond = threading.Condition(threading.RLock())
        self.rv = initial_rv
        self.compacted_rv = initial_rv   # watches from an older resourceVersion answer 410 Expired
        self.history_limit = history_limit
        self._objects = {}       # (group, plural) -> {(namespace, name): obj}
        self._sorted = {}        # (group, plural) -> sorted [(namespace, name)] cache, dropped on create/delete
        self._history = []       # [Event] in rv order
        self._history_rvs = []
        self._encoded = {}       # id(stored obj) -> (obj, JSON bytes): stored objects are serialized once
        self.closed = False

    # ------------------------------------------------------------ reads

    def get(self, key, namespace, name):
        return self._objects.get(key, {}).get((namespace or "", name))

    def sorted_keys(self, key):
        with self.cond:
            keys = self._sorted.get(key)
            if keys is None:
                keys = sorted(self._objects.get(key, {}))
                self._sorted[key] = keys
            return keys, self._objects.get(key, {}), self.rv

    def encoded(self, key, obj, encode):
        """``encode(obj)``, cached while ``obj`` is the stored version of its object."""
        entry = self._encoded.get(id(obj))
        if entry is not None and entry[0] is obj:
            return entry[1]
        data = encode(obj)
        meta = obj.get("metadata") or {}
        if self._objects.get(key, {}).get((meta.get("namespace", ""), meta.get("name"))) is obj:
            self._encoded[id(obj)] = (obj, data)
        return data

    def all_keys(self):
        return list(self._objects)

    # ------------------------------------------------------------ writes (caller holds no lock; each is atomic)

    def next_rv(self):
        self.rv += 1
        return self.rv

    def put(self, key, obj, event_type, prev=None):
        """Store ``obj`` (whose metadata.resourceVersion the caller set from next_rv under ``cond``)."""
        meta = obj["metadata"]
        ident = (meta.get("namespace", ""), meta["name"])
        bucket = self._objects.setdefault(key, {})
        old = bucket.get(ident)
        if old is None:
            self._sorted.pop(key, None)
        else:
            self._encoded.pop(id(old), None)
        bucket[ident] = obj
        self._record(Event(int(meta["resourceVersion"]), key, event_type, obj, prev))

    def remove(self, key, obj, prev):
        meta = obj["metadata"]
        ident = (meta.get("namespace", ""), meta["name"])
        bucket = self._objects.get(key, {})
        old = bucket.pop(ident, None)
        if old is not None:
            self._sorted.pop(key, None)
            self._encoded.pop(id(old), None)
        self._record(Event(int(meta["resourceVersion"]), key, "DELETED", obj, prev))

    def _record(self, event):
        self._history.append(event)
        self._history_rvs.append(event.rv)
        if len(self._history) > self.history_limit:
            drop = len(self._history) - self.history_limit
            self.compacted_rv = self._history_rvs[drop - 1]
            del self._history[:drop]
            del self._history_rvs[:drop]
        self.cond.notify_all()

    def drop_all(self):
        """Forget every object and the watch history (resourceVersion keeps increasing)."""
        with self.cond:
            self._objects.clear()
            self._sorted.clear()
            self._encoded.clear()
            self._history.clear()
            self._history_rvs.clear()
            self.compacted_rv = self.rv
            self.cond.notify_all()

    # ------------------------------------------------------------ watch support

    def events_after(self, rv):
        """Events with resourceVersion > rv; raises Expired when the history no longer reaches back to rv."""
        if rv < self.compacted_rv:
            raise Expired(rv, self.compacted_rv)
        start = bisect.bisect_right(self._history_rvs, rv)
        return self._history[start:]

    def close(self):
        with self.cond:
            self.closed = True
            self.cond.notify_all()
