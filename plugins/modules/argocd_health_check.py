#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: argocd_health_check
short_description: Install or remove a custom Argo CD health check (Lua) for a resource kind
version_added: 0.1.0
description:
  - On plain Argo CD, sets the key C(resource.customizations.health.<group>_<kind>) of ConfigMap C(argocd-cm).
  - On the Argo CD Operator / OpenShift GitOps, which owns C(argocd-cm) and reverts edits to it, sets the
    entry C({group, kind, check}) of the C(ArgoCD) resource's C(spec.resourceHealthChecks).
  - Only this check is touched; other keys and other health checks keep their values and order.
    A second run with the same script changes nothing. O(state=absent) removes only this check.
  - The list in the C(ArgoCD) resource is written with a merge patch carrying C(metadata.resourceVersion);
    a concurrent change is re-read and merged again.
author:
  - mlops.gitops developers (@mlops-gitops)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
options:
  argocd_namespace:
    description:
      - Namespace Argo CD runs in. OpenShift GitOps uses C(openshift-gitops).
      - The alias O(namespace) is deprecated and will be removed in version 2.0.0.
    type: str
    default: argocd
    aliases: [namespace]
  target:
    description:
      - Where the check goes. V(auto) uses the C(ArgoCD) resource when the namespace has one, else C(argocd-cm).
      - V(configmap) forces C(argocd-cm) (with a warning when an C(ArgoCD) resource would revert it);
        V(cr) forces the C(ArgoCD) resource.
      - V(argocd_cr), the former spelling of V(cr), is deprecated and will be removed in version 2.0.0.
    type: str
    choices: [auto, configmap, cr, argocd_cr]
    default: auto
  argocd_name:
    description:
      - Name of the C(ArgoCD) resource to configure, needed only when the namespace holds several.
    type: str
  group:
    description:
      - API group of the resource kind the check is for; an empty string for the core group (the key is then
        C(resource.customizations.health.<kind>)). Anything but an API group name is refused before writing.
    type: str
    default: mlops.mlops.dev
  kind:
    description: Kind the check is for (a letter, then letters and digits); anything else is refused before writing.
    type: str
    default: NotebookValidationJob
  check:
    description:
      - The Lua script, stored byte for byte. Required when O(state=present).
      - Argo CD runs it with the base, C(table) and C(package) libraries only, and C(os.time) and C(os.date)
        through C(local os = require("os")). A script that uses the global C(string), C(math), C(io), C(os),
        C(coroutine), C(debug) or C(channel) library fails there, so it is refused before anything is written.
        Methods of strings (C(s:upper())) fail too, but cannot be told from a table's and are not checked.
      - A script Argo CD could not compile (gopher-lua, Lua 5.1 with C(goto)) is refused before anything is
        written; the message names the line and the error.
    type: str
  state:
    description: Whether the check should be installed or removed.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    description: Reports what would change and stores nothing; each write is sent as a server-side dry run, so a
      missing right or an invalid object fails the check as it would fail the real run.
    support: full
  diff_mode:
    description: Returns the check's key (ConfigMap) or the whole list (ArgoCD resource) before and after.
    support: full
requirements:
  - kubernetes >= 24.2.0
notes:
  - The account needs C(get) and C(patch) on C(configmaps) in the Argo CD namespace, or C(get), C(list) and
    C(patch) on C(argocds.argoproj.io) there; V(auto) also lists C(argocds).
  - See C(docs/health-check.md) for the NotebookValidationJob check and how to verify it.
"""

EXAMPLES = r"""
- name: Install the NotebookValidationJob health check shipped with the collection
  mlops.gitops.argocd_health_check:
    check: "{{ lookup('ansible.builtin.file', 'health.lua', rstrip=false) }}"

- name: Install it on OpenShift GitOps, into the ArgoCD resource
  mlops.gitops.argocd_health_check:
    argocd_namespace: openshift-gitops
    target: cr
    check: "{{ lookup('ansible.builtin.file', 'health.lua', rstrip=false) }}"

- name: Remove it
  mlops.gitops.argocd_health_check:
    state: absent
"""

RETURN = r"""
target:
  description: Where the check was put (C(configmap) or C(cr)).
  returned: success
  type: str
  sample: cr
resource:
  description: The object that holds the check.
  returned: success
  type: str
  sample: ArgoCD openshift-gitops/openshift-gitops
diff:
  description:
    - For C(argocd-cm), the check's key before and after; for the C(ArgoCD) resource, the whole
      C(spec.resourceHealthChecks) list before and after.
  returned: diff mode
  type: complex
  contains:
    before:
      description: Before this task, as YAML text, so C(--diff) shows the Lua script line by line.
      returned: always
      type: str
    after:
      description: After this task, as YAML text, so C(--diff) shows the Lua script line by line.
      returned: always
      type: str
"""

from ansible_collections.mlops.gitops.plugins.module_utils import (
    argocd_config,
    argocd_health_check,
    install_result,
    lua_syntax,
    module_runner,
)

OWN_SPEC = {
    "target": {"type": "str", "choices": list(argocd_config.TARGETS) + list(argocd_health_check.RENAMED_TARGETS),
               "default": "auto"},
    "argocd_name": {"type": "str"},
    "group": {"type": "str", "default": "mlops.mlops.dev"},
    "kind": {"type": "str", "default": "NotebookValidationJob"},
    "check": {"type": "str"},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
}


def execute(module, api):
    params = module.params
    target = module_runner.renamed_value(module, "target", argocd_health_check.RENAMED_TARGETS,
                                         argocd_health_check.ROLE_TARGET + " for the role")
    if params["state"] == "present" and params["check"]:
        problem = lua_syntax.describe(params["check"])
        if problem:
            return {"failed": True, "changed": False, "msg": "check is not a script Argo CD can run ({}); "
                    "nothing was written".format(problem)}
    return install_result.task_result(
        module,
        argocd_health_check.rights(target, params["argocd_namespace"]),
        argocd_health_check.install_health_check,
        api,
        params["argocd_namespace"],
        params["group"],
        params["kind"],
        check=params["check"],
        state=params["state"],
        target=target,
        argocd_name=params["argocd_name"],
        check_mode=module.check_mode,
    )


def main():
    module = module_runner.build_module(
        module_runner.ARGOCD_NAMESPACE_WITH_ALIAS_SPEC, OWN_SPEC, required_if=[("state", "present", ("check",))]
    )
    module_runner.run(module, execute)


if __name__ == "__main__":
    main()
