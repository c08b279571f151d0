#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: argocd_notifications
short_description: Install or remove Argo CD notification triggers and templates
version_added: 0.1.0
description:
  - On plain Argo CD, sets the keys C(trigger.<name>) and C(template.<name>) of ConfigMap C(argocd-notifications-cm)
    (created empty first when Argo CD runs in the namespace but the ConfigMap is missing).
  - On the Argo CD Operator / OpenShift GitOps, which generates that ConfigMap from the C(NotificationsConfiguration)
    resource C(default-notifications-configuration) and reverts edits to it, sets the same keys in its
    C(spec.triggers) and C(spec.templates).
  - Only the given keys are touched; services, subscriptions and other triggers and templates keep their values.
    O(state=absent) removes only the given keys, and then deletes C(argocd-notifications-cm) if this module created
    it (annotation C(mlops.dev/created-by)) and nothing else is in it.
  - A trigger that is not a YAML list of conditions (mappings whose C(when), if given, is an expression), or a
    template that is not a YAML mapping, is refused before anything is written (the notifications controller would
    not load any of its configuration); the message names the key and the YAML error.
  - The role C(mlops.gitops.argocd_notifications) calls this module with the collection's notebook catalog.
author:
  - mlops.gitops developers (@mlops-gitops)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
options:
  argocd_namespace:
    description:
      - Namespace Argo CD runs in (C(openshift-gitops) on OpenShift GitOps).
      - The alias O(namespace) is deprecated and will be removed in version 2.0.0.
    type: str
    default: argocd
    aliases: [namespace]
  target:
    description:
      - V(auto) uses the C(NotificationsConfiguration) resource when its CRD and C(default-notifications-configuration)
        exist in O(argocd_namespace), else C(argocd-notifications-cm). V(configmap) and V(cr) force one.
      - Where the Argo CD Operator manages O(argocd_namespace) (an C(ArgoCD) resource) with notifications disabled (no
        C(default-notifications-configuration)), V(auto) refuses to install, since the operator would overwrite
        C(argocd-notifications-cm) once notifications are enabled. Enable them (C(spec.notifications.enabled))
        and run again; V(configmap) writes the ConfigMap anyway, with a warning.
      - V(notifications_cr), the former spelling of V(cr), is deprecated and will be removed in version 2.0.0.
    type: str
    choices: [auto, configmap, cr, notifications_cr]
    default: auto
  triggers:
    description: Triggers, C(trigger.<name>) to the trigger's YAML text (Argo CD catalog format).
    type: dict
    default: {}
  templates:
    description: Templates, C(template.<name>) to the template's YAML text (Argo CD catalog format).
    type: dict
    default: {}
  state:
    description: Whether the given triggers and templates should be present or absent.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    description: Reports what would change and stores nothing; each write is sent as a server-side dry run, so a
      missing right or an invalid object fails the check as it would fail the real run.
    support: full
  diff_mode:
    description: Returns our keys before and after.
    support: full
requirements:
  - kubernetes >= 24.2.0
"""

EXAMPLES = r"""
- name: Install one trigger on OpenShift GitOps
  mlops.gitops.argocd_notifications:
    argocd_namespace: openshift-gitops
    triggers:
      trigger.on-notebook-validation-failed: "{{ lookup('ansible.builtin.file', 'triggers/failed.yaml') }}"

- name: Remove it again
  mlops.gitops.argocd_notifications:
    argocd_namespace: openshift-gitops
    triggers:
      trigger.on-notebook-validation-failed: ""
    state: absent
"""

RETURN = r"""
target:
  description: Where the entries went, C(configmap) or C(cr).
  returned: success
  type: str
resource:
  description: The object written, as C(Kind namespace/name).
  returned: success
  type: str
configmap_deleted:
  description: With O(state=absent) on C(argocd-notifications-cm), whether the ConfigMap was deleted (this module had
    created it and nothing else was in it).
  returned: state absent on the ConfigMap
  type: bool
triggers:
  description: The trigger keys handled.
  returned: success
  type: list
  elements: str
templates:
  description: The template keys handled.
  returned: success
  type: list
  elements: str
diff:
  description: Our keys before and after.
  returned: diff mode
  type: complex
  contains:
    before:
      description: Before this task, as YAML text, so C(--diff) shows each trigger and template line by line.
      returned: always
      type: str
    after:
      description: After this task, as YAML text, so C(--diff) shows each trigger and template line by line.
      returned: always
      type: str
"""

from ansible_collections.mlops.gitops.plugins.module_utils import (
    argocd_config,
    argocd_notifications,
    install_result,
    module_runner,
)


def execute(module, api):
    params = module.params
    target = module_runner.renamed_value(module, "target", argocd_notifications.RENAMED_TARGETS,
                                         argocd_notifications.ROLE_TARGET + " for the role")
    return install_result.task_result(
        module,
        argocd_notifications.rights(target, params["argocd_namespace"]),
        argocd_notifications.install,
        api,
        params["argocd_namespace"],
        params["triggers"] or {},
        params["templates"] or {},
        state=params["state"],
        target=target,
        check_mode=module.check_mode,
    )


def main():
    module = module_runner.build_module(
        module_runner.ARGOCD_NAMESPACE_WITH_ALIAS_SPEC,
        {
            "target": {"type": "str", "default": "auto",
                       "choices": list(argocd_config.TARGETS) + list(argocd_notifications.RENAMED_TARGETS)},
            "triggers": {"type": "dict", "default": {}},
            "templates": {"type": "dict", "default": {}},
            "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        }
    )
    module_runner.run(module, execute)


if __name__ == "__main__":
    main()
