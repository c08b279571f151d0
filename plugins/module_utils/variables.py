# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Variables as playbooks and roles receive them: AWX surveys and ``-e k=v`` send text.

A list comes as comma- or newline-separated text (a multiple-select question's answers are newline-separated),
a boolean as ``"true"``/``"false"``, a number as digits. ``checked`` turns such text into the types an argument
spec declares (Ansible's own checker, after ``text_list``) and checks each value's format; every problem is
named after the variable, and all of them are reported at once, so that a playbook can refuse them before its
first write. The action ``mlops.gitops.role_variables`` applies it to a role's ``meta/argument_specs.yml``;
``mlops.gitops.notebook_reconcile`` splits its list options with ``text_list``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.mlops.gitops.plugins.module_utils.names import SERVICE_NAME, is_namespace

# Items of a list given as text are separated by commas or white space (newlines included).
_SEPARATORS = re.compile(r"[\s,]+")
# The controller's objects are named after its name, and its Service adds "-metrics" (8 characters) to it.
_MAX_CONTROLLER_NAME = 63 - len("-metrics")
# time.ParseDuration, as ansible-operator reads reconcilePeriod, with a unit after every number ("0" alone is a
# YAML integer, which a metav1.Duration refuses) and no sign (a negative period means nothing).
_GO_DURATION = re.compile(r"(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h))+")


def text_list(value):
    """A list option's value as a list: text is split at commas and white space, each item trimmed and blanks
    dropped (``"a, b"``, ``"a\\nb"``, ``""`` → ``[]``); None is the empty list; anything else is left to the
    type check (a list stays as it is)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [item for item in _SEPARATORS.split(value) if item]
    return value


def renamed_value(variable, value, renames):
    """``(value, warning)``: ``value`` (one value, or a list of them) with each former spelling that ``renames``
    (old -> new) lists read as its new one (a list keeps its order and each value once), and the deprecation
    warning that names ``variable``, the old and the new values; ``warning`` is None when nothing was renamed."""
    items = value if isinstance(value, list) else [value]
    old = [item for item in items if isinstance(item, str) and item in renames]
    if not old:
        return value, None
    new = []
    for item in items:
        item = renames[item] if isinstance(item, str) and item in renames else item
        if item not in new:
            new.append(item)
    warning = "{0}: {1} {2} deprecated; set {3} instead".format(
        variable, ", ".join(repr(item) for item in old), "is" if len(old) == 1 else "are",
        ", ".join(repr(renames[item]) for item in old))
    return (new if isinstance(value, list) else new[0]), warning


def with_lists_from_text(spec, params):
    """``params`` with every option that ``spec`` declares a list and that holds text split by ``text_list``."""
    out = dict(params)
    for name, option in spec.items():
        if option.get("type") == "list" and isinstance(out.get(name), str):
            out[name] = text_list(out[name])
    return out


def _name(value):
    return len(value) <= _MAX_CONTROLLER_NAME and bool(SERVICE_NAME.fullmatch(value))


def _duration(value):
    return bool(_GO_DURATION.fullmatch(value))


def _positive(value):
    return value > 0


# format -> (check of one value, what a right value looks like). A list's items are checked one by one.
FORMATS = {
    "namespace": (is_namespace, "a namespace name (lowercase letters, digits and '-', at most 63 characters)"),
    "name": (_name, "a name of lowercase letters, digits and '-' that starts with a letter, at most 55 characters"),
    "duration": (_duration, "a Go duration with a unit, such as 10m, 90s or 1h30m"),
    "positive": (_positive, "a whole number greater than 0"),
}


def format_errors(values, formats):
    """A message for each of ``values`` (variable -> value of the declared type) that ``formats`` (variable ->
    a key of ``FORMATS``) refuses; a variable that is not in ``values`` is not checked."""
    errors = []
    for name, kind in formats.items():
        if name not in values or values[name] is None:
            continue
        check, expected = FORMATS[kind]
        items = values[name] if isinstance(values[name], list) else [values[name]]
        bad = [item for item in items if not check(item)]
        if bad:
            errors.append("{0} must be {1}{2}, got {3}".format(
                name, "a list of which each item is " if isinstance(values[name], list) else "", expected,
                ", ".join(repr(item) for item in bad)))
    return errors


def checked(spec, values):
    """``(validated, errors)``: ``values`` (variable -> value, as given) converted to the types ``spec`` (an
    argument spec whose options are the variables) declares, lists from text first; a variable that is not
    given gets the spec's default. ``errors`` names each variable whose value cannot be converted or is not
    one of its choices (Ansible's messages)."""
    result = ArgumentSpecValidator(spec).validate(with_lists_from_text(spec, values))
    return result.validated_parameters, list(result.error_messages)
