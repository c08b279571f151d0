"""Object metadata validation with the real apiserver's field error texts."""

import re

from .errors import invalid
from .selectors import label_value_error, qualified_name_error

TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024

_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1035 = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")

SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                 "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                 "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
             "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
             "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
DNS1035_MSG = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
               "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
               "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")

# Kinds whose names must be DNS-1123 labels (no dots) or DNS-1035 labels; everything else is a subdomain.
_LABEL_NAMED = {("", "namespaces")}
_DNS1035_NAMED = {("", "services")}


def _name_error(rtype, name):
    key = (rtype.group, rtype.plural)
    if key in _LABEL_NAMED:
        if len(name) > 63:
            return "must be no more than 63 characters"
        return None if _LABEL.fullmatch(name) else LABEL_MSG
    if key in _DNS1035_NAMED:
        if len(name) > 63:
            return "must be no more than 63 characters"
        return None if _DNS1035.fullmatch(name) else DNS1035_MSG
    if len(name) > 253:
        return "must be no more than 253 characters"
    if rtype.plural == "customresourcedefinitions":
        return None if _SUBDOMAIN.fullmatch(name) else SUBDOMAIN_MSG
    return None if _SUBDOMAIN.fullmatch(name) else SUBDOMAIN_MSG


def validate_metadata(rtype, obj):
    """Raise 422 Invalid for the metadata errors the real server rejects."""
    meta = obj.get("metadata") or {}
    name = meta.get("name") or ""
    causes = []
    if not name:
        causes.append(("FieldValueRequired", "metadata.name", "Required value: name or generateName is required"))
    else:
        err = _name_error(rtype, name)
        if err:
            causes.append(("FieldValueInvalid", "metadata.name", f'Invalid value: "{name}": {err}'))
    labels = meta.get("labels") or {}
    if not isinstance(labels, dict):
        causes.append(("FieldValueInvalid", "metadata.labels", "Invalid value: labels must be a map of strings"))
        labels = {}
    for key, value in labels.items():
        err = qualified_name_error(key)
        if err:
            causes.append(("FieldValueInvalid", "metadata.labels", f'Invalid value: "{key}": {err}'))
        if not isinstance(value, str):
            causes.append(("FieldValueInvalid", f"metadata.labels.{key}", "Invalid value: must be a string"))
            continue
        err = label_value_error(value)
        if err:
            causes.append(("FieldValueInvalid", "metadata.labels", f'Invalid value: "{value}": {err}'))
    annotations = meta.get("annotations") or {}
    total = 0
    for key, value in annotations.items():
        err = qualified_name_error(key)
        if err:
            causes.append(("FieldValueInvalid", "metadata.annotations", f'Invalid value: "{key}": {err}'))
        if not isinstance(value, str):
            causes.append(("FieldValueInvalid", f"metadata.annotations.{key}", "Invalid value: must be a string"))
            continue
        total += len(key.encode()) + len(value.encode())
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        causes.append(("FieldValueTooLong", "metadata.annotations",
                       f"Too long: may not be more than {TOTAL_ANNOTATION_SIZE_LIMIT} bytes"))
    if causes:
        raise invalid(rtype, name, causes)
