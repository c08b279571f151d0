#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file only documents the action plugin plugins/action/role_variables.py, which does the work on the
# controller (it reads the role's variables and its meta/argument_specs.yml there).

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: role_variables
short_description: Convert and check the variables of the role that runs it, from text as AWX surveys send it
version_added: 0.1.0
description:
  - Reads the variables of the role whose task it is, as the role's C(meta/argument_specs.yml) declares them
    (entry point I(entry_point)), converts each to its declared type and returns the results as I(settings).
  - Text is accepted where AWX surveys and C(-e key=value) send text. A list may be comma-, space- or
    newline-separated (C("a, b"), a multiple-select answer C("a\nb")); items are trimmed, blanks dropped, and an
    empty text is the empty list. A boolean may be C(true)/C(false) (or C(yes)/C(no), C(1)/C(0)); a number,
    digits; a dict, JSON.
  - Ansible's own check of a role's arguments accepts the same text but leaves the variables as they were given,
    so a task that reads the variable sees text (a string joined as a list gives its characters, and
    C(when) on the string C("false") is an error in ansible-core 2.19). Read I(settings) instead. The values come
    back under names of their own because no variable outranks an extra variable.
  - Every variable that cannot be converted, is not one of its choices, or has the wrong format (I(formats),
    I(reconcile_options)) fails the task with one message that names each of them; nothing else is done.
  - This is an action plugin; it runs on the controller host and changes nothing.
author:
  - mlops.gitops developers (@mlops-gitops)
extends_documentation_fragment:
  - mlops.gitops.notebook.reporting
options:
  entry_point:
    description: The entry point of the role's argument specification whose options are the variables.
    type: str
    default: main
  formats:
    description:
      - Variable -> the format its value (each item, for a list) must have.
      - C(namespace), a namespace name; C(name), a DNS-1035 label of at most 55 characters (a name that
        C(-metrics) can be added to for a Service); C(duration), a Go duration with a unit after every number,
        such as C(10m) or C(1h30m) (as ansible-operator reads C(reconcilePeriod)); C(positive), a number above 0.
    type: dict
    default: {}
  reconcile_options:
    description:
      - Variable -> the option of M(mlops.gitops.notebook_reconcile) it sets (for example the controller's settings,
        which reach that module in the controller's pod). Each is checked with the type and the rules of that
        module (a negative number of seconds, a namespace or annotation key it would refuse), so that what the
        module refuses is refused here first.
    type: dict
    default: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: It only reads variables.
notes:
  - Use it in a role's tasks; it finds the role from C(role_path). A role's variables are named after the role
    (C(<role>_<name>)); I(settings) has them without that prefix.
"""

EXAMPLES = r"""
# roles/notebook_controller_deploy/tasks/validate.yml
- name: Check the settings before the first write
  mlops.gitops.role_variables:
    formats:
      notebook_controller_deploy_namespace: namespace
      notebook_controller_deploy_watch_namespaces: namespace
      notebook_controller_deploy_reconcile_period: duration
    reconcile_options:
      notebook_controller_deploy_min_interval: min_interval
      notebook_controller_deploy_allowed_namespaces: allowed_namespaces
  register: notebook_controller_deploy_checked

- name: Use a converted value
  ansible.builtin.debug:
    msg: "{{ notebook_controller_deploy_checked.settings.watch_namespaces | join(',') }}"
"""

RETURN = r"""
settings:
  description:
    - Every variable of the entry point, converted to its declared type, by its name without the role's name and
      C(_) (C(notebook_controller_deploy_watch_namespaces) is C(watch_namespaces)).
  returned: success
  type: dict
  sample: {"watch_namespaces": ["team-a", "team-b"], "create_namespace": false, "min_interval": 30}
msg:
  description: Every variable that was refused, and why.
  returned: failure
  type: str
  sample: >-
    2 invalid variable(s), nothing was done: notebook_controller_deploy_reconcile_period must be a Go duration
    with a unit, such as 10m, 90s or 1h30m, got 'soon'; notebook_controller_deploy_min_interval must be an
    integer >= 0 (seconds), got -5
"""
