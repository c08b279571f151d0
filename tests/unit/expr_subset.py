"""Evaluate the small subset of Argo CD's trigger language (antonmedv/expr) our triggers use.

Allowed: ``app.metadata.annotations`` and ``app.metadata.annotations['key']``, string literals,
``nil``, ``==``, ``!=``, ``and``, ``or``, ``not``, parentheses. Anything else is rejected, so a trigger
that grows beyond what these tests can evaluate fails loudly instead of passing untested.
Semantics match expr where they matter: ``and``/``or`` short-circuit, indexing nil is an error.
"""

import re

TOKEN = re.compile(
    r"\s*(?:(?P<str>'[^']*')|(?P<ann>app\.metadata\.annotations)|(?P<op>==|!=|\(|\)|\[|\])|(?P<word>and|or|not|nil))"
)


class ExprError(Exception):
    pass


def to_python(expression):
    out, pos = [], 0
    text = expression.strip()
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ExprError("unsupported syntax at {0!r}".format(text[pos:pos + 30]))
        pos = match.end()
        if match.group("str") is not None:
            out.append(repr(match.group("str")[1:-1]))
        elif match.group("ann"):
            out.append("ann")
        elif match.group("op"):
            out.append(match.group("op"))
        else:
            out.append({"nil": "None"}.get(match.group("word"), match.group("word")))
    return " ".join(out)


class GoMap(dict):
    """A Go map as expr sees it: a missing key reads as nil."""

    def __missing__(self, key):
        return None


def evaluate(expression, annotations):
    """The value of ``expression`` for an Application whose annotations are ``annotations`` (None: absent)."""
    code = to_python(expression)
    ann = None if annotations is None else GoMap(annotations)
    try:
        return eval(code, {"__builtins__": {}}, {"ann": ann})  # noqa: S307 - tokens are whitelisted above
    except TypeError as exc:  # None['x']: expr fails the same way ("cannot fetch ... from <nil>")
        raise ExprError(str(exc)) from exc
