# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Does a Lua script compile in Argo CD? A syntax check in pure Python, for the controller host.

Argo CD compiles a health check with gopher-lua (Lua 5.1 plus ``goto`` and labels). A script it
cannot compile makes every resource of the kind show an error instead of a health, so the
``argocd_health_check`` module refuses such a script before writing it.

This is a recogniser written from gopher-lua's grammar (parse/parser.go.y, parse/lexer.go) and the
errors its compiler raises before running anything (``no loop to break``, ``cannot use '...'
outside a vararg function``, ``goto`` without a visible label, a label defined twice, a ``goto``
into the scope of a local). Where gopher-lua and PUC Lua 5.1 differ, it follows gopher-lua:
``goto``/``::label::`` exist, stray ``;`` are allowed, ``\\f``/``\\v`` are not whitespace, any
``\\x`` escape is accepted. ``tests/argocd_engines`` runs the same corpus of good and bad scripts
through gopher-lua itself and this module and requires the same verdict and line.

``check(script)`` returns None or ``(line, message)``; line 0 means the end of the script. A script
nested too deeply for Python's recursion limit is not refused (gopher-lua has no such limit).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

KEYWORDS = frozenset(
    "and break do else elseif end false for function goto if in local nil not or repeat return then true "
    "until while".split()
)
BLOCK_END = frozenset(["end", "else", "elseif", "until", "<eof>"])
BINARY = {
    "or": 1, "and": 2,
    "<": 3, ">": 3, "<=": 3, ">=": 3, "~=": 3, "==": 3,
    "..": 5,  # right associative
    "+": 6, "-": 6, "*": 7, "/": 7, "%": 7,
    "^": 10,  # right associative, binds tighter than unary operators
}
RIGHT_ASSOC = frozenset(["..", "^"])
UNARY_PRIORITY = 8
SINGLE = frozenset("+*/%^#(){}];,")
DIGITS = frozenset("0123456789")
# The gopher-lua libraries Argo CD does not open for a health check (util/lua/lua.go: SkipOpenLibs, then only
# package, base and table; its safe os, time and date only, is reached through require("os") alone), unless the
# argocd-cm key resource.customizations.useOpenLibs.<group>_<kind> is true, which the module does not set.
CLOSED_LIBRARIES = frozenset(["string", "math", "io", "os", "coroutine", "debug", "channel"])
USED_AS_TABLE = frozenset([".", "[", ":", "(", "string", "{"])  # indexed or called: a nil global fails there


class LuaSyntaxError(Exception):
    def __init__(self, line, message):
        super(LuaSyntaxError, self).__init__(line, message)
        self.line = line
        self.message = message


# -- lexer ------------------------------------------------------------------------------------
def tokens(source):
    """``(kind, text, line)`` triples; kind is ``name``, ``number``, ``string``, ``<eof>`` or the
    keyword/operator itself. Newlines are \\n, \\r, \\r\\n or \\n\\r, as in gopher-lua."""
    src, pos, line, size = source, 0, 1, len(source)
    out = []

    def newline_at(i):
        """Index after the newline starting at i, or None."""
        ch = src[i] if i < size else ""
        if ch in ("\n", "\r"):
            nxt = src[i + 1] if i + 1 < size else ""
            return i + 2 if nxt in ("\n", "\r") and nxt != ch else i + 1
        return None

    def long_bracket(i, what):
        """At ``[`` (index i), ``[==[ ... ]==]``: returns (end index, lines crossed)."""
        j, level = i + 1, 0
        while j < size and src[j] == "=":
            level += 1
            j += 1
        if j >= size or src[j] != "[":
            raise LuaSyntaxError(line, "invalid " + what)
        j += 1
        crossed = 0
        closing = "]" + "=" * level + "]"
        while True:
            if j >= size:
                raise LuaSyntaxError(0, "unfinished " + what)
            after = newline_at(j)
            if after is not None:
                crossed += 1
                j = after
            elif src.startswith(closing, j):
                return j + len(closing), crossed
            else:
                j += 1

    while True:
        while pos < size:
            after = newline_at(pos)
            if after is not None:
                line += 1
                pos = after
            elif src[pos] in " \t":
                pos += 1
            else:
                break
        if pos >= size:
            out.append(("<eof>", "<eof>", 0))
            return out
        ch = src[pos]
        start_line = line
        if ch == "-" and src.startswith("--", pos):
            pos += 2
            if pos < size and src[pos] == "[" and pos + 1 < size and src[pos + 1] in "[=":
                pos, crossed = long_bracket(pos, "multiline comment")
                line += crossed
            else:
                while pos < size and src[pos] not in "\r\n":
                    pos += 1
            continue
        if ch == "_" or ch.isalpha() and ch.isascii():
            end = pos + 1
            while end < size and (src[end] == "_" or src[end].isascii() and src[end].isalnum()):
                end += 1
            word = src[pos:end]
            out.append((word if word in KEYWORDS else "name", word, line))
            pos = end
            continue
        if ch in DIGITS or ch == "." and pos + 1 < size and src[pos + 1] in DIGITS:
            pos = _number(src, pos, line)
            out.append(("number", "", line))
            continue
        if ch in "\"'":
            pos += 1
            while True:
                if pos >= size or src[pos] in "\r\n":
                    raise LuaSyntaxError(line, "unfinished string")
                if src[pos] == ch:
                    pos += 1
                    break
                if src[pos] == "\\" and pos + 1 < size:
                    after = newline_at(pos + 1)
                    if after is not None:
                        line += 1
                        pos = after
                        continue
                    pos += 2
                    continue
                pos += 1
            out.append(("string", "", start_line))
            continue
        if ch == "[" and pos + 1 < size and src[pos + 1] in "[=":
            pos, crossed = long_bracket(pos, "multiline string")
            out.append(("string", "", start_line))
            line += crossed
            continue
        for op in ("...", "..", "==", "~=", "<=", ">=", "::"):
            if src.startswith(op, pos):
                out.append((op, op, line))
                pos += len(op)
                break
        else:
            if ch in SINGLE or ch in "-=<>[:.":
                out.append((ch, ch, line))
                pos += 1
            elif ch == "~":
                raise LuaSyntaxError(line, "invalid '~' token (not equal is ~=)")
            else:
                raise LuaSyntaxError(line, "invalid character {!r}".format(ch))


def _number(src, pos, line):
    size = len(src)
    if src.startswith(("0x", "0X"), pos):
        end = pos + 2
        while end < size and src[end] in "0123456789abcdefABCDEF":
            end += 1
        if end == pos + 2:
            raise LuaSyntaxError(line, "malformed number (hexadecimal without digits)")
        return end
    end = pos
    while end < size and src[end] in DIGITS:
        end += 1
    if end < size and src[end] == ".":
        end += 1
        while end < size and src[end] in DIGITS:
            end += 1
    if end < size and src[end] in "eE":
        end += 1
        if end < size and src[end] in "+-":
            end += 1
        digits = end
        while end < size and src[end] in DIGITS:
            end += 1
        if end == digits:
            raise LuaSyntaxError(line, "malformed number (exponent without digits)")
    return end


# -- parser -----------------------------------------------------------------------------------
class _Function:
    def __init__(self, vararg, first_line):
        self.vararg = vararg
        self.first_line = first_line
        self.blocks = []  # innermost last


class _Block:
    def __init__(self, loop):
        self.loop = loop
        self.locals = 0
        self.names = set()  # the locals' names
        self.labels = {}  # name -> (line, locals active at the label)
        self.pending = []  # unresolved gotos: (name, line, locals of this block active at the goto)
        self.into_scope = None  # (line, message) of a goto into a local's scope, unless the label ends the block


class _Parser:
    def __init__(self, source):
        self.toks = tokens(source)
        self.i = 0
        self.functions = []
        self.closed = []  # (line, library) of each use of a library Argo CD leaves out

    # token helpers
    @property
    def kind(self):
        return self.toks[self.i][0]

    @property
    def line(self):
        return self.toks[self.i][2]

    def advance(self):
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def error(self, message=None):
        kind, text, line = self.toks[self.i]
        near = "" if kind == "<eof>" else " near '{}'".format(text or kind)
        raise LuaSyntaxError(line, "{}{}".format(message or "unexpected symbol", near))

    def expect(self, kind, what=None):
        if self.kind != kind:
            self.error("'{}' expected".format(what or kind))
        return self.advance()

    def expect_match(self, kind, opener, line):
        if self.kind != kind:
            if line == self.line:
                self.error("'{}' expected".format(kind))
            self.error("'{}' expected (to close '{}' at line {})".format(kind, opener, line))
        self.advance()

    # scopes
    def open_function(self, vararg, line):
        self.functions.append(_Function(vararg, line))

    def close_function(self, last_line):
        return self.functions.pop()

    def open_block(self, loop=False):
        self.functions[-1].blocks.append(_Block(loop))

    def close_block(self, last_line):
        blocks = self.functions[-1].blocks
        block = blocks.pop()
        if block.pending:
            if not blocks:
                name, line, _count = block.pending[0]
                raise LuaSyntaxError(last_line or line, "no visible label '{}' for goto at line {}".format(name, line))
            outer = blocks[-1]
            for name, line, _count in block.pending:
                self.goto(outer, name, line, outer.locals)

    def goto(self, block, name, line, active):
        """A goto seen in ``block`` with ``active`` locals of that block: a label already defined
        there resolves it (backward jump), else it waits for a later label or the enclosing block."""
        if name in block.labels:
            return
        block.pending.append((name, line, active))

    def label(self, name, line):
        block = self.functions[-1].blocks[-1]
        if name in block.labels:
            raise LuaSyntaxError(line, "label '{}' already defined on line {}".format(name, block.labels[name][0]))
        block.labels[name] = (line, block.locals)
        still = []
        for goto_name, goto_line, active in block.pending:
            if goto_name != name:
                still.append((goto_name, goto_line, active))
            elif active < block.locals and block.into_scope is None:
                block.into_scope = (line, "goto {} at line {} jumps into the scope of a local".format(name, goto_line))
        block.pending = still

    def add_locals(self, names):
        block = self.functions[-1].blocks[-1]
        block.locals += len(names)
        block.names.update(names)

    def is_local(self, name):
        return any(name in block.names for function in self.functions for block in function.blocks)

    # grammar
    def chunk(self):
        self.open_function(True, 0)
        self.open_block()
        self.block_body()
        if self.kind != "<eof>":
            self.error("'<eof>' expected")
        self.close_block(0)
        self.close_function(0)

    def block_body(self):
        while True:
            if self.kind == ";":
                self.advance()
                continue
            if self.kind in BLOCK_END:
                return
            block = self.functions[-1].blocks[-1]
            if self.kind != "::" and block.into_scope is not None:
                # only a label that ends its block (followed by labels and ';' alone) is outside the local's scope
                raise LuaSyntaxError(*block.into_scope)
            if self.kind in ("return", "break"):
                self.last_statement()
                if self.kind == ";":
                    self.advance()
                if self.kind not in BLOCK_END:
                    self.error("return and break must be the last statement of a block")
                return
            self.statement()

    def block(self, loop=False):
        self.open_block(loop)
        self.block_body()
        return self.line

    def last_statement(self):
        kind, _text, line = self.advance()
        if kind == "break":
            if not any(block.loop for block in self.functions[-1].blocks):
                raise LuaSyntaxError(line, "no loop to break")
            return
        if self.kind not in BLOCK_END and self.kind != ";":
            self.expression_list()

    def statement(self):
        kind, line = self.kind, self.line
        if kind == "if":
            self.advance()
            self.expression()
            self.expect("then")
            self.close_block(self.block())
            while self.kind == "elseif":
                self.advance()
                self.expression()
                self.expect("then")
                self.close_block(self.block())
            if self.kind == "else":
                self.advance()
                self.close_block(self.block())
            self.expect_match("end", "if", line)
        elif kind == "while":
            self.advance()
            self.expression()
            self.expect("do")
            self.close_block(self.block(loop=True))
            self.expect_match("end", "while", line)
        elif kind == "do":
            self.advance()
            self.close_block(self.block())
            self.expect_match("end", "do", line)
        elif kind == "for":
            self.advance()
            names = [self.expect("name", "<name>")[1]]
            if self.kind == "=":
                self.advance()
                self.expression()
                self.expect(",")
                self.expression()
                if self.kind == ",":
                    self.advance()
                    self.expression()
            elif self.kind in (",", "in"):
                while self.kind == ",":
                    self.advance()
                    names.append(self.expect("name", "<name>")[1])
                self.expect("in")
                self.expression_list()
            else:
                self.error("'=' or 'in' expected")
            self.expect("do")
            self.open_block(loop=True)
            self.add_locals(names)
            self.block_body()
            self.close_block(self.line)
            self.expect_match("end", "for", line)
        elif kind == "repeat":
            self.advance()
            self.block(loop=True)
            self.expect_match("until", "repeat", line)
            self.expression()
            self.close_block(self.line)
        elif kind == "function":
            self.advance()
            self.expect("name", "<name>")
            method = False
            while self.kind in (".", ":"):
                method = self.advance()[0] == ":"
                self.expect("name", "<name>")
                if method:
                    break
            self.function_body(line)
        elif kind == "local":
            self.advance()
            if self.kind == "function":
                self.advance()
                self.add_locals([self.expect("name", "<name>")[1]])
                self.function_body(line)
            else:
                names = [self.expect("name", "<name>")[1]]
                while self.kind == ",":
                    self.advance()
                    names.append(self.expect("name", "<name>")[1])
                if self.kind == "=":
                    self.advance()
                    self.expression_list()
                self.add_locals(names)
        elif kind == "::":
            self.advance()
            name = self.expect("name", "<name>")[1]
            self.expect("::")
            self.label(name, line)
        elif kind == "goto":
            self.advance()
            name = self.expect("name", "<name>")[1]
            block = self.functions[-1].blocks[-1]
            self.goto(block, name, line, block.locals)
        else:
            self.expression_statement()

    def expression_statement(self):
        what = self.suffixed_expression()
        if self.kind in ("=", ","):
            if what != "var":
                self.error()
            while self.kind == ",":
                self.advance()
                if self.suffixed_expression() != "var":
                    self.error()
            self.expect("=")
            self.expression_list()
        elif what != "call":
            self.error("syntax error (a statement must be a call or an assignment)")

    def function_body(self, line):
        self.expect("(")
        vararg = False
        params = []
        if self.kind != ")":
            while True:
                if self.kind == "...":
                    self.advance()
                    vararg = True
                    break
                params.append(self.expect("name", "<name>")[1])
                if self.kind != ",":
                    break
                self.advance()
        self.expect(")")
        self.open_function(vararg, line)
        self.open_block()
        self.add_locals(params)
        self.block_body()
        last = self.line
        self.close_block(last)
        self.close_function(last)
        self.expect_match("end", "function", line)

    def expression_list(self):
        self.expression()
        while self.kind == ",":
            self.advance()
            self.expression()

    def primary_expression(self):
        """A name (``var``) or a parenthesised expression (``expr``)."""
        if self.kind == "name":
            _kind, name, line = self.advance()
            if name in CLOSED_LIBRARIES and self.kind in USED_AS_TABLE and not self.is_local(name):
                self.closed.append((line, name))
            return "var"
        if self.kind == "(":
            line = self.line
            self.advance()
            self.expression()
            self.expect_match(")", "(", line)
            return "expr"
        self.error()

    def suffixed_expression(self):
        """prefixexp with its suffixes: ``call``, ``var`` (assignable) or ``expr``."""
        what = self.primary_expression()
        while True:
            kind = self.kind
            if kind == ".":
                self.advance()
                self.expect("name", "<name>")
                what = "var"
            elif kind == "[":
                self.advance()
                self.expression()
                self.expect("]")
                what = "var"
            elif kind == ":":
                self.advance()
                self.expect("name", "<name>")
                self.call_arguments()
                what = "call"
            elif kind in ("(", "string", "{"):
                # gopher-lua reads "f()\n(g)()" as one call chain (PUC Lua 5.1 calls it ambiguous)
                self.call_arguments()
                what = "call"
            else:
                return what

    def call_arguments(self):
        kind, line = self.kind, self.line
        if kind == "string":
            self.advance()
        elif kind == "{":
            self.table()
        elif kind == "(":
            self.advance()
            if self.kind != ")":
                self.expression_list()
            self.expect_match(")", "(", line)
        else:
            self.error("function arguments expected")

    def table(self):
        line = self.line
        self.expect("{")
        while self.kind != "}":
            if self.kind == "name" and self.toks[self.i + 1][0] == "=":
                self.advance()
                self.advance()
                self.expression()
            elif self.kind == "[":
                self.advance()
                self.expression()
                self.expect("]")
                self.expect("=")
                self.expression()
            else:
                self.expression()
            if self.kind in (",", ";"):
                self.advance()
            elif self.kind != "}":
                break
        self.expect_match("}", "{", line)

    def simple_expression(self):
        kind = self.kind
        if kind in ("number", "string", "nil", "true", "false"):
            self.advance()
        elif kind == "...":
            if not self.functions[-1].vararg:
                raise LuaSyntaxError(self.line, "cannot use '...' outside a vararg function")
            self.advance()
        elif kind == "{":
            self.table()
        elif kind == "function":
            line = self.line
            self.advance()
            self.function_body(line)
        else:
            self.suffixed_expression()

    def expression(self, limit=0):
        if self.kind in ("not", "-", "#"):
            self.advance()
            self.expression(UNARY_PRIORITY)
        else:
            self.simple_expression()
        while self.kind in BINARY and BINARY[self.kind] > limit:
            op = self.advance()[0]
            priority = BINARY[op]
            self.expression(priority - 1 if op in RIGHT_ASSOC else priority)


def _parse(script):
    """``(problem, closed)``: ``check``'s answer, and ``closed_libraries``' for a script that compiles."""
    try:
        parser = _Parser(script)
        parser.chunk()
    except LuaSyntaxError as exc:
        return (exc.line, exc.message), []
    except RecursionError:
        return None, []  # too deep for this check; gopher-lua has no such limit, so do not refuse
    return None, parser.closed


def check(script):
    """None when gopher-lua would compile ``script``, else ``(line, message)`` (line 0: the end)."""
    return _parse(script)[0]


def closed_libraries(script):
    """``[(line, library)]``: where a script that compiles uses a global library Argo CD leaves out (``string``,
    ``math``, ``io``, ``os``, ...), which fails there with ``attempt to index a non-table object(nil)``. A local of
    that name (``local os = require("os")``) is the script's own."""
    return _parse(script)[1]


def describe(script):
    """Why Argo CD cannot run ``script`` as a health check, as one sentence, or None."""
    problem, closed = _parse(script)
    if problem is not None:
        line, message = problem
        where = "at the end of the script" if line == 0 else "on line {}".format(line)
        return "Lua syntax error {}: {}".format(where, message)
    if closed:
        line, library = closed[0]
        return ("line {0} uses the {1} library, which Argo CD does not open for health checks (only the base, table "
                "and package libraries, and os.time/os.date through local os = require(\"os\")): {2}".format(
                    line, library, ", ".join("{0} on line {1}".format(name, at) for at, name in closed)))
    return None
