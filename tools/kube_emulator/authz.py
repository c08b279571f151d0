"""Optional RBAC-style authorization for bearer tokens registered with ``Emulator.add_user``."""

import threading

ADMIN_USER = "system:admin"


def _match(allowed, value):
    return allowed is None or "*" in allowed or value in allowed


class Authorizer:
    """Tokens map to (user name, rules). Unregistered tokens and anonymous requests are the unrestricted admin
    (a real server would answer 401); see README."""

    def __init__(self):
        self._lock = threading.Lock()
        self._users = {}  # token -> (user, rules)

    def add_user(self, token, rules, user=None):
        with self._lock:
            self._users[token] = (user or f"system:serviceaccount:default:{token}", list(rules or []))

    def remove_user(self, token):
        with self._lock:
            self._users.pop(token, None)

    def identify(self, token):
        """(user name, rules or None for unrestricted)."""
        entry = self._users.get(token) if token else None
        if entry is None:
            return ADMIN_USER, None
        return entry

    @staticmethod
    def allowed(rules, verb, group, resource, subresource, namespace, name):
        if rules is None:
            return True
        full = f"{resource}/{subresource}" if subresource else resource
        for rule in rules:
            if not _match(rule.get("verbs"), verb):
                continue
            if not _match(rule.get("apiGroups"), group):
                continue
            resources = rule.get("resources")
            if resources is not None and "*" not in resources and full not in resources and \
                    not (subresource and f"*/{subresource}" in resources):
                continue
            names = rule.get("resourceNames")
            if names and (not name or name not in names):
                continue
            namespaces = rule.get("namespaces")
            if namespaces is not None and "*" not in namespaces and (not namespace or namespace not in namespaces):
                continue
            return True
        return False
