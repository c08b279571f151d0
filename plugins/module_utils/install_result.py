# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the install modules (``argocd_health_check``, ``argocd_notifications``) return, beside ``module_runner``'s
conventions for every module: a ``ConfigError`` is a failed task with its message, a 403 a failed task naming the
right the installing account lacks and all it needs, and the diff is YAML text so that ``--diff`` shows a Lua
script or a template line by line."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.mlops.gitops.plugins.module_utils.argocd_config import ConfigError
from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeError


def _literal_yaml(value):
    """YAML in which every multi-line string is a ``|`` block: a Lua script or a template reads line by line."""
    import yaml

    class _Dumper(yaml.SafeDumper):
        pass

    def _str(dumper, text):
        style = "|" if "\n" in text and all(ch == "\n" or ch >= " " for ch in text) else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)

    _Dumper.add_representer(str, _str)
    return yaml.dump(value, Dumper=_Dumper, default_flow_style=False, sort_keys=True, allow_unicode=True, width=1 << 16)


def readable_diff(diff):
    """``diff`` with ``before``/``after`` as YAML text, so Ansible's --diff shows a script or template line by line
    (a dict would be shown as JSON, a whole script on one escaped line)."""
    if not diff:
        return diff
    out = dict(diff)
    for side in ("before", "after"):
        if isinstance(out.get(side), (dict, list)):
            out[side] = _literal_yaml(out[side])
    return out


def task_result(module, rights, install, *args, **kwargs):
    """What an ``argocd_*`` module returns for ``install(*args, **kwargs)``: a ``ConfigError`` is a failed task
    with its message, a 403 a failed task naming the ``rights`` the installing account needs; ``warnings`` go
    to ``module.warn`` and the diff becomes YAML text (``readable_diff``)."""
    try:
        result = install(*args, **kwargs)
    except ConfigError as exc:
        return {"failed": True, "msg": str(exc)}
    except KubeError as exc:
        if not exc.forbidden:
            raise
        missing = missing_right(exc)
        return {
            "failed": True,
            "status": 403,
            "msg": "insufficient rights: {0}. The account running the install (your kubeconfig or K8S_AUTH_* "
            "credentials, not the controller) {1}needs {2}".format(
                exc, "lacks {0}; it ".format(missing) if missing else "", rights),
        }
    for warning in result.pop("warnings", []):
        module.warn(warning)
    result["diff"] = readable_diff(result.get("diff"))
    return result


# kube-apiserver's RBAC refusal: ... cannot list resource "argocds" in API group "argoproj.io" in the namespace "x"
_FORBIDDEN = re.compile(r'cannot (\w+) resource "([^"]+)" in API group "([^"]*)"(?: in the namespace "([^"]+)")?')


def missing_right(exc):
    """The right a 403 says is missing, as RBAC names it (``list on argocds.argoproj.io in namespace x``), or None
    when the server's message does not say."""
    found = _FORBIDDEN.search(exc.server_message or "")
    if not found:
        return None
    verb, resource, group, namespace = found.groups()
    return "{0} on {1}{2}{3}".format(verb, resource, "." + group if group else "",
                                     " in namespace " + namespace if namespace else "")
