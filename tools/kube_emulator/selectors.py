"""Label and field selectors with the syntax and error cases of k8s.io/apimachinery."""

import re

from .errors import bad_request

_SPECIAL = set("!=,()<> \t\n")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_NAME_PART = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")

LABEL_VALUE_MSG = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                   "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
                   "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
QUALIFIED_NAME_MSG = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                      "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
                      "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")


def label_value_error(value):
    if len(value) > 63:
        return "must be no more than 63 characters"
    if not _LABEL_VALUE.fullmatch(value):
        return LABEL_VALUE_MSG
    return None


def qualified_name_error(key):
    """None when ``key`` is a valid label/annotation key (``[prefix/]name``)."""
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.fullmatch(prefix)):
        return "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, " \
               "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex " \
               "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    if not name:
        return "name part must be non-empty"
    if len(name) > 63:
        return "name part must be no more than 63 characters"
    if not _NAME_PART.fullmatch(name):
        return QUALIFIED_NAME_MSG
    return None


# ---------------------------------------------------------------- label selectors

def _lex(text):
    tokens, i = [], 0
    while i < len(text):
        c = text[i]
        if c in " \t\n":
            i += 1
        elif text.startswith(("==", "!="), i):
            tokens.append(text[i:i + 2])
            i += 2
        elif c in "!=,()<>":
            tokens.append(c)
            i += 1
        else:
            j = i
            while j < len(text) and text[j] not in _SPECIAL:
                j += 1
            tokens.append(text[i:j])
            i = j
    return tokens


class LabelSelector:
    """A parsed label selector; ``matches(labels_dict)``."""

    def __init__(self, text):
        self.text = text or ""
        self.requirements = _parse_labels(self.text)

    def empty(self):
        return not self.requirements

    def matches(self, labels):
        labels = labels or {}
        for key, op, values in self.requirements:
            present = key in labels
            value = labels.get(key)
            if op == "exists":
                ok = present
            elif op == "!":
                ok = not present
            elif op in ("=", "==", "in"):
                ok = present and value in values
            elif op in ("!=", "notin"):
                ok = not present or value not in values
            elif op in (">", "<"):
                try:
                    number = int(value)
                except (TypeError, ValueError):
                    ok = False
                else:
                    ok = number > values[0] if op == ">" else number < values[0]
            else:  # pragma: no cover - parser only emits the ops above
                ok = False
            if not ok:
                return False
        return True


def _fail(message):
    raise bad_request(message)


def _is_ident(tok):
    return tok is not None and tok not in ("==", "!=") and tok not in set("!=,()<>")


def _parse_labels(text):
    tokens = _lex(text)
    reqs, i = [], 0

    def peek(k=0):
        return tokens[i + k] if i + k < len(tokens) else None

    while i < len(tokens):
        tok = peek()
        if tok == "!":
            key = peek(1)
            if not _is_ident(key):
                _fail(f"found '{key or ''}', expected: identifier after '!'")
            _check_key(key)
            reqs.append((key, "!", ()))
            i += 2
        elif _is_ident(tok):
            key, op = tok, peek(1)
            _check_key(key)
            if op is None or op == ",":
                reqs.append((key, "exists", ()))
                i += 1
            elif op in ("=", "==", "!="):
                value = peek(2)
                if value is None or value == ",":
                    value, i = "", i + 2
                elif _is_ident(value):
                    i += 3
                else:
                    _fail(f"found '{value}', expected: identifier")
                _check_value(key, value)
                reqs.append((key, op, (value,)))
            elif op in ("in", "notin"):
                if peek(2) != "(":
                    _fail(f"found '{peek(2) or ''}', expected: '('")
                values, j = [], i + 3
                while True:
                    t = tokens[j] if j < len(tokens) else None
                    if t is None:
                        _fail("found '', expected: ')'")
                    if t == ")":
                        j += 1
                        break
                    if t == ",":
                        j += 1
                        continue
                    if not _is_ident(t):
                        _fail(f"found '{t}', expected: ',', ')' or identifier")
                    _check_value(key, t)
                    values.append(t)
                    j += 1
                if not values and op == "in":
                    _fail(f"for 'in', 'notin' operators, values set can't be empty: {key}")
                reqs.append((key, op, tuple(values)))
                i = j
            elif op in (">", "<"):
                value = peek(2)
                try:
                    number = int(value)
                except (TypeError, ValueError):
                    _fail(f"for 'Gt', 'Lt' operators, the value must be an integer: {value}")
                reqs.append((key, op, (number,)))
                i += 3
            else:
                _fail(f"found '{op}', expected: in, notin, =, ==, !=, gt, lt")
        else:
            _fail(f"found '{tok}', expected: !, identifier, or 'end of string'")
        if i < len(tokens):
            if tokens[i] != ",":
                _fail(f"found '{tokens[i]}', expected: ',' or 'end of string'")
            i += 1
            if i == len(tokens):
                _fail("found '', expected: !, identifier, or 'end of string'")
    return reqs


def _check_key(key):
    err = qualified_name_error(key)
    if err:
        _fail(f'unable to parse requirement: key: Invalid value: "{key}": {err}')


def _check_value(key, value):
    err = label_value_error(value)
    if err:
        _fail(f'unable to parse requirement: values[0][{key}]: Invalid value: "{value}": {err}')


# ---------------------------------------------------------------- field selectors

_COMMON_FIELDS = {"metadata.name", "metadata.namespace"}
_FIELDS_BY_RESOURCE = {
    ("", "events"): {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                     "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                     "reason", "reportingComponent", "source", "type"},
    ("events.k8s.io", "events"): {"regarding.kind", "regarding.namespace", "regarding.name", "regarding.uid",
                                  "regarding.apiVersion", "regarding.resourceVersion", "regarding.fieldPath",
                                  "reason", "reportingController", "type"},
    ("", "pods"): {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                   "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"},
    ("", "secrets"): {"type"},
    ("", "namespaces"): {"status.phase"},
    ("batch", "jobs"): {"status.successful"},
    ("apps", "replicasets"): {"status.replicas"},
}


def _field_value(obj, path):
    if path == "source":
        return (obj.get("source") or {}).get("component", "")
    if path == "metadata.namespace" and "namespace" not in (obj.get("metadata") or {}):
        return ""
    node = obj
    for part in path.split("."):
        if not isinstance(node, dict):
            return ""
        node = node.get(part)
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    return str(node)


def _split_unescaped(text, sep):
    parts, current, i = [], [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            current.append(text[i:i + 2])
            i += 2
            continue
        if c == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(c)
        i += 1
    parts.append("".join(current))
    return parts


def _unescape(text):
    return re.sub(r"\\(.)", r"\1", text)


class FieldSelector:
    """A parsed field selector restricted to the fields the real server indexes for a resource."""

    def __init__(self, text, rtype):
        self.text = text or ""
        self.terms = []
        allowed = _COMMON_FIELDS | _FIELDS_BY_RESOURCE.get((rtype.group, rtype.plural), set())
        for term in _split_unescaped(self.text, ","):
            if not term.strip() and not self.text.strip():
                continue
            match = re.match(r"^(.*?)(==|!=|=)(.*)$", term)
            if not match or re.search(r"(?<!\\)[=!]", match.group(3)):
                _fail(f"invalid selector: '{self.text}'; can't understand '{term}'")
            key, op, value = match.group(1).strip(), match.group(2), _unescape(match.group(3))
            if key not in allowed:
                _fail(f"field label not supported: {key}")
            self.terms.append((key, op, value))

    def empty(self):
        return not self.terms

    def matches(self, obj):
        for key, op, value in self.terms:
            actual = _field_value(obj, key)
            if (actual == value) != (op != "!="):
                return False
        return True

    def single_name(self):
        """The name a ``metadata.name=x`` term pins, if any (lets a watch stay cheap)."""
        for key, op, value in self.terms:
            if key == "metadata.name" and op != "!=":
                return value
        return None
