# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The variables of the role that runs this task, as its meta/argument_specs.yml declares them, from text too.

Ansible's own check of a role's arguments lets "a,b" pass for a list and "false" for a boolean but leaves the
variables as they were given, and a later ``join`` or ``when`` then reads the text. This plugin returns the
converted values (``settings``), under names of their own since nothing outranks an extra variable, and refuses
every variable it cannot convert or whose format is wrong, all at once, before the role writes anything.
Documentation: plugins/modules/role_variables.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import yaml
from ansible.plugins.action import ActionBase

from ansible_collections.mlops.gitops.plugins.module_utils import module_runner, reconcile, variables

ARGUMENT_SPEC = {
    "entry_point": {"type": "str", "default": "main"},
    "formats": {"type": "dict", "default": {}},
    "reconcile_options": {"type": "dict", "default": {}},
}
# What the reconcile checks its options against: the controller's settings get the same types and rules.
RECONCILE_SPEC = dict(module_runner.ARGOCD_NAMESPACE_SPEC, **reconcile.OPTION_SPEC)


def role_spec(role_path, entry_point):
    """The options of ``entry_point`` in the role's meta/argument_specs.yml (or .yaml)."""
    for name in ("argument_specs.yml", "argument_specs.yaml"):
        path = os.path.join(role_path, "meta", name)
        if os.path.exists(path):
            with open(path) as handle:
                specs = (yaml.safe_load(handle) or {}).get("argument_specs") or {}
            if entry_point in specs:
                return specs[entry_point].get("options") or {}
    raise ValueError("role {0} has no entry point {1!r} in meta/argument_specs.yml".format(
        os.path.basename(role_path), entry_point))


def spec_errors(spec, formats, reconcile_options):
    """Mistakes in the task itself (a format or option the plugin does not know, a variable the role lacks)."""
    errors = ["formats: {0} is not a variable of the role".format(n) for n in formats if n not in spec]
    errors += ["formats: {0}: unknown format {1!r} (one of {2})".format(n, f, ", ".join(sorted(variables.FORMATS)))
               for n, f in formats.items() if f not in variables.FORMATS]
    errors += ["reconcile_options: {0} is not a variable of the role".format(n) for n in reconcile_options
               if n not in spec]
    errors += ["reconcile_options: {0}: {1!r} is not an option of mlops.gitops.notebook_reconcile".format(n, o)
               for n, o in reconcile_options.items() if o not in RECONCILE_SPEC]
    return errors


def check(spec, given, formats, reconcile_options, deprecations=None):
    """``(values, errors)``: ``given`` converted to ``spec``'s types, its formats checked, and the variables that
    set reconcile options checked with the reconcile's own types and rules (messages name the variables); a former
    spelling of a reconcile option's value is read as the new one (``reconcile.renamed_values``), its deprecation
    warning appended to ``deprecations`` (a list) if given."""
    values, errors = variables.checked(spec, given)
    renamed, warnings = reconcile.renamed_values(
        dict((o, values[n]) for n, o in reconcile_options.items() if n in values),
        dict((o, n) for n, o in reconcile_options.items()))
    values.update((n, renamed[o]) for n, o in reconcile_options.items() if o in renamed)
    if deprecations is not None:
        deprecations.extend(warnings)
    errors += variables.format_errors(dict((n, v) for n, v in values.items() if n not in reconcile_options),
                                      formats)
    given_options = dict((n, given[n]) for n in reconcile_options if n in given)
    as_options, option_errors = variables.checked(
        dict((n, RECONCILE_SPEC[o]) for n, o in reconcile_options.items()), given_options)
    errors += [e for e in option_errors if e not in errors]
    if not option_errors:
        options = dict((reconcile_options[n], v) for n, v in as_options.items())
        errors += reconcile.option_errors(options, names=dict((o, n) for n, o in reconcile_options.items()))
    return values, errors


def role_settings(role_path, given, formats, reconcile_options, entry_point="main", deprecations=None):
    """``(settings, errors)`` for the role at ``role_path``: its variables (``given``: name -> value, templated)
    converted and checked, by name without the role's prefix (deprecation warnings go to ``deprecations``, as for
    ``check``). harness/controller_config.py renders the role's templates with these too."""
    spec = role_spec(role_path, entry_point)
    errors = spec_errors(spec, formats, reconcile_options)
    if errors:
        return None, errors
    values, errors = check(spec, dict((name, given[name]) for name in spec if name in given), formats,
                           reconcile_options, deprecations)
    prefix = os.path.basename(role_path) + "_"
    return dict((name[len(prefix):] if name.startswith(prefix) else name, value)
                for name, value in values.items()), errors


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        task_vars = task_vars or {}
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        role_path = task_vars.get("role_path")
        if not role_path:
            return dict(result, failed=True, msg="mlops.gitops.role_variables checks the variables of the role "
                        "whose task it is: use it in a role's tasks")
        try:
            spec = role_spec(role_path, args["entry_point"])
        except ValueError as exc:
            return dict(result, failed=True, msg=str(exc))
        given = self._templar.template(dict((name, task_vars[name]) for name in spec if name in task_vars))
        deprecations = []
        settings, errors = role_settings(role_path, given, args["formats"], args["reconcile_options"],
                                         args["entry_point"], deprecations)
        if deprecations:
            result["deprecations"] = [{"msg": msg, "version": module_runner.ALIAS_REMOVED_IN,
                                       "collection_name": module_runner.COLLECTION} for msg in deprecations]
        if errors:
            return dict(result, failed=True, msg="{0} invalid variable(s), nothing was done: {1}".format(
                len(errors), "; ".join(errors)))
        result.update(changed=False, settings=settings)
        return result
