"""A small CEL compiler for Kubernetes validation rules, operating on plain JSON-like values.

Why: cel-python interprets its parse tree on every call (0.3–1 ms per rule) and needs every value
converted to its own types first; the CRD validator evaluates thousands of rules per test run.
This module compiles the CEL subset that CRD rules use into nested Python closures once, then
evaluates a rule in microseconds on the dicts/lists the validator already holds.  Anything outside
the subset raises :class:`CelUnsupported` at compile time, and the caller falls back to
cel-python; ``test_crd_validator`` cross-checks both engines on every rule of both CRD sets.

Semantics follow Kubernetes CEL where the rules depend on them: commutative ``&&``/``||`` that
absorb errors, heterogeneous equality (``1 == 'a'`` is false, ``x == null`` works), errors for
missing fields, truncating integer division, macros on lists and maps.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any

__all__ = ["CelError", "CelUnsupported", "compile_cel"]

Env = dict[str, Any]
Fn = Callable[[Env], Any]


class CelError(Exception):
    """A CEL runtime error (no such key, no matching overload, ...)."""


class CelUnsupported(Exception):
    """The expression uses CEL this compiler does not implement."""


# ----------------------------------------------------------------------------------------------
# Lexer

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<float>(?:\d+\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\.\d+(?:[eE][+-]?\d+)?))
  | (?P<int>0x[0-9a-fA-F]+u?|\d+u?)
  | (?P<str>[rR]?(?:'''[\s\S]*?'''|\"\"\"[\s\S]*?\"\"\"|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"))
  | (?P<bytes>[bB][rR]?(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"))
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\|\||&&|==|!=|<=|>=|[-+*/%!<>?:.,()\[\]{}])
    """,
    re.VERBOSE,
)

_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "`": "`",
    "?": "?",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
}


def _unescape(body: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        nxt = body[i + 1 : i + 2]
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif nxt in ("x", "u", "U"):
            width = {"x": 2, "u": 4, "U": 8}[nxt]
            out.append(chr(int(body[i + 2 : i + 2 + width], 16)))
            i += 2 + width
        elif nxt.isdigit():
            out.append(chr(int(body[i + 1 : i + 4], 8)))
            i += 4
        else:
            raise CelUnsupported(f"unknown escape \\{nxt}")
    return "".join(out)


def _tokenize(text: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise CelUnsupported(f"unexpected character {text[pos]!r} at {pos}")
        pos = m.end()
        kind = m.lastgroup
        val = m.group()
        if kind == "ws":
            continue
        if kind == "bytes":
            raise CelUnsupported("bytes literals")
        if kind == "int":
            if val.endswith("u"):
                raise CelUnsupported("unsigned integers")
            tokens.append(("lit", int(val, 16) if val.startswith("0x") else int(val)))
        elif kind == "float":
            tokens.append(("lit", float(val)))
        elif kind == "str":
            raw = val[0] in "rR"
            body = val[1:] if raw else val
            q = 3 if body[:3] in ("'''", '"""') else 1
            body = body[q:-q]
            tokens.append(("lit", body if raw else _unescape(body)))
        elif kind == "ident":
            if val in ("true", "false"):
                tokens.append(("lit", val == "true"))
            elif val == "null":
                tokens.append(("lit", None))
            else:
                tokens.append(("ident", val))
        else:
            tokens.append(("op", val))
    tokens.append(("eof", None))
    return tokens


# ----------------------------------------------------------------------------------------------
# Runtime helpers


def _type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "double"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "list"
    if isinstance(v, dict):
        return "map"
    return type(v).__name__


def _num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _equal(a: Any, b: Any) -> bool:
    """CEL heterogeneous equality: different types are unequal, numbers compare by value."""
    if _num(a) and _num(b):
        return bool(a == b)
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def _compare(op: str, a: Any, b: Any) -> bool:
    if not ((_num(a) and _num(b)) or (type(a) is type(b) and isinstance(a, str | bool))):
        raise CelError(f"no such overload: {_type_name(a)} {op} {_type_name(b)}")
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    if op == ">":
        return bool(a > b)
    return bool(a >= b)


def _arith(op: str, a: Any, b: Any) -> Any:
    if op == "+":
        if (_num(a) and _num(b)) or (type(a) is type(b) and isinstance(a, str | list)):
            return a + b
    elif _num(a) and _num(b):
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if isinstance(a, int) and isinstance(b, int):
            if b == 0:
                raise CelError("division by zero" if op == "/" else "modulus by zero")
            q = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)
            return q if op == "/" else a - b * q
        if op == "/":
            return a / b if b else float("inf") if a > 0 else float("-inf") if a < 0 else float("nan")
    raise CelError(f"no such overload: {_type_name(a)} {op} {_type_name(b)}")


def _bool(v: Any, what: str) -> bool:
    if not isinstance(v, bool):
        raise CelError(f"{what}: expected bool, got {_type_name(v)}")
    return v


def _select(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        if name in obj:
            return obj[name]
        raise CelError(f"no such key: {name}")
    raise CelError(f"type {_type_name(obj)} does not support field selection")


def _index(obj: Any, key: Any) -> Any:
    if isinstance(obj, list):
        if not _num(key) or int(key) != key:
            raise CelError("list index must be an int")
        i = int(key)
        if not 0 <= i < len(obj):
            raise CelError(f"index out of range: {i}")
        return obj[i]
    if isinstance(obj, dict):
        if key in obj:
            return obj[key]
        raise CelError(f"no such key: {key}")
    raise CelError(f"type {_type_name(obj)} does not support indexing")


def _size(v: Any) -> int:
    if isinstance(v, str | list | dict):
        return len(v)
    raise CelError(f"no such overload: size({_type_name(v)})")


def _string(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float | str):
        return str(v)
    raise CelError(f"no such overload: string({_type_name(v)})")


def _int(v: Any) -> int:
    if isinstance(v, bool):
        raise CelError("no such overload: int(bool)")
    if isinstance(v, int | float):
        return int(v)
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError as exc:
            raise CelError(f"cannot convert {v!r} to int") from exc
    raise CelError(f"no such overload: int({_type_name(v)})")


def _str_arg(v: Any, fn: str) -> str:
    if not isinstance(v, str):
        raise CelError(f"no such overload: {fn}({_type_name(v)})")
    return v


def _is_sorted(v: Any) -> bool:
    if not isinstance(v, list):
        raise CelError("no such overload: isSorted")
    return all(_compare("<=", a, b) for a, b in itertools.pairwise(v))


# Functions usable both as f(x, ...) and x.f(...); receiver first.  Populated by the validator
# with its own helpers (isIP, isCIDR, matches) so both engines share one implementation.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    "size": _size,
    "string": _string,
    "int": _int,
    "double": lambda v: float(v) if _num(v) or isinstance(v, str) else _int(v),
    "dyn": lambda v: v,
    "startsWith": lambda s, p: _str_arg(s, "startsWith").startswith(_str_arg(p, "startsWith")),
    "endsWith": lambda s, p: _str_arg(s, "endsWith").endswith(_str_arg(p, "endsWith")),
    "contains": lambda s, p: _str_arg(p, "contains") in _str_arg(s, "contains"),
    "lowerAscii": lambda s: _str_arg(s, "lowerAscii").lower(),
    "upperAscii": lambda s: _str_arg(s, "upperAscii").upper(),
    "trim": lambda s: _str_arg(s, "trim").strip(),
    "isSorted": _is_sorted,
}


# ----------------------------------------------------------------------------------------------
# Parser → closures


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokenize(text)
        self.i = 0

    def peek(self, value: str | None = None) -> bool:
        kind, val = self.toks[self.i]
        return kind == "op" and val == value

    def take(self) -> tuple[str, Any]:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect(self, value: str) -> None:
        kind, val = self.take()
        if kind != "op" or val != value:
            raise CelUnsupported(f"expected {value!r}, got {val!r}")

    def parse(self) -> Fn:
        fn = self.expr()
        if self.toks[self.i][0] != "eof":
            raise CelUnsupported(f"trailing input at token {self.toks[self.i][1]!r}")
        return fn

    def expr(self) -> Fn:
        cond = self.cond_or()
        if not self.peek("?"):
            return cond
        self.take()
        then = self.cond_or()
        self.expect(":")
        other = self.expr()

        def ternary(env: Env) -> Any:
            return then(env) if _bool(cond(env), "?:") else other(env)

        return ternary

    def cond_or(self) -> Fn:
        left = self.cond_and()
        while self.peek("||"):
            self.take()
            left = _logic(left, self.cond_and(), short=True)
        return left

    def cond_and(self) -> Fn:
        left = self.relation()
        while self.peek("&&"):
            self.take()
            left = _logic(left, self.relation(), short=False)
        return left

    def relation(self) -> Fn:
        left = self.addition()
        while True:
            kind, val = self.toks[self.i]
            if kind == "op" and val in ("==", "!=", "<", "<=", ">", ">="):
                self.take()
                left = _relop(val, left, self.addition())
            elif kind == "ident" and val == "in":
                self.take()
                left = _in(left, self.addition())
            else:
                return left

    def addition(self) -> Fn:
        left = self.mult()
        while self.peek("+") or self.peek("-"):
            op = self.take()[1]
            left = _binop(op, left, self.mult())
        return left

    def mult(self) -> Fn:
        left = self.unary()
        while self.peek("*") or self.peek("/") or self.peek("%"):
            op = self.take()[1]
            left = _binop(op, left, self.unary())
        return left

    def unary(self) -> Fn:
        if self.peek("!"):
            self.take()
            inner = self.unary()
            return lambda env: not _bool(inner(env), "!")
        if self.peek("-"):
            self.take()
            inner = self.unary()

            def neg(env: Env) -> Any:
                v = inner(env)
                if not _num(v):
                    raise CelError(f"no such overload: -{_type_name(v)}")
                return -v

            return neg
        return self.member()

    def member(self) -> Fn:
        fn = self.primary()
        while True:
            if self.peek("."):
                self.take()
                kind, name = self.take()
                if kind != "ident":
                    raise CelUnsupported("expected a field name after '.'")
                if self.peek("("):
                    self.take()
                    fn = self.method(fn, name)
                else:
                    fn = _selector(fn, name)
            elif self.peek("["):
                self.take()
                key = self.expr()
                self.expect("]")
                fn = _indexer(fn, key)
            else:
                return fn

    def args(self) -> list[Fn]:
        out: list[Fn] = []
        if self.peek(")"):
            self.take()
            return out
        while True:
            out.append(self.expr())
            if self.peek(","):
                self.take()
                continue
            self.expect(")")
            return out

    def macro_var(self) -> str:
        kind, name = self.take()
        if kind != "ident":
            raise CelUnsupported("macro variable must be an identifier")
        self.expect(",")
        return name

    def method(self, target: Fn, name: str) -> Fn:
        if name in ("all", "exists", "exists_one", "filter", "map"):
            var = self.macro_var()
            first = self.expr()
            second = None
            if name == "map" and self.peek(","):
                self.take()
                second = self.expr()
            self.expect(")")
            return _macro(name, target, var, first, second)
        args = self.args()
        return _call(name, [target, *args])

    def primary(self) -> Fn:
        kind, val = self.take()
        if kind == "lit":
            return lambda env: val
        if kind == "ident":
            if self.peek("("):
                self.take()
                if val == "has":
                    return self.has_macro()
                return _call(val, self.args())
            name = val

            def ident(env: Env) -> Any:
                try:
                    return env[name]
                except KeyError:
                    raise CelError(f"undeclared reference to {name!r}") from None

            return ident
        if kind == "op" and val == "(":
            inner = self.expr()
            self.expect(")")
            return inner
        if kind == "op" and val == "[":
            items: list[Fn] = []
            while not self.peek("]"):
                items.append(self.expr())
                if not self.peek("]"):
                    self.expect(",")
            self.take()
            return lambda env: [f(env) for f in items]
        if kind == "op" and val == "{":
            pairs: list[tuple[Fn, Fn]] = []
            while not self.peek("}"):
                k = self.expr()
                self.expect(":")
                pairs.append((k, self.expr()))
                if not self.peek("}"):
                    self.expect(",")
            self.take()
            return lambda env: {k(env): v(env) for k, v in pairs}
        raise CelUnsupported(f"unexpected token {val!r}")

    def has_macro(self) -> Fn:
        start = self.i
        target = self.member()
        end = self.i
        self.expect(")")
        kind, val = self.toks[end - 1]
        if not (kind == "ident" and self.toks[end - 2] == ("op", ".")):
            raise CelUnsupported("has() needs a field selection")
        # re-parse the operand without its last selection
        sub = _Parser.__new__(_Parser)
        sub.toks = [*self.toks[start : end - 2], ("eof", None)]
        sub.i = 0
        obj = sub.parse()
        del target
        field = val

        def has(env: Env) -> bool:
            o = obj(env)
            if isinstance(o, dict):
                return field in o
            raise CelError(f"has() on {_type_name(o)}")

        return has


def _logic(left: Fn, right: Fn, short: bool) -> Fn:
    """``||`` (short=True) / ``&&``: commutative, an error loses to a deciding value."""

    def logic(env: Env) -> bool:
        try:
            lv = _bool(left(env), "||" if short else "&&")
        except CelError as exc:
            rv = _bool(right(env), "||" if short else "&&")
            if rv is short:
                return short
            raise exc
        if lv is short:
            return short
        return _bool(right(env), "||" if short else "&&")

    return logic


def _relop(op: str, left: Fn, right: Fn) -> Fn:
    if op == "==":
        return lambda env: _equal(left(env), right(env))
    if op == "!=":
        return lambda env: not _equal(left(env), right(env))
    return lambda env: _compare(op, left(env), right(env))


def _in(left: Fn, right: Fn) -> Fn:
    def contains(env: Env) -> bool:
        v, coll = left(env), right(env)
        if isinstance(coll, list):
            return any(_equal(v, x) for x in coll)
        if isinstance(coll, dict):
            return v in coll
        raise CelError(f"no such overload: in {_type_name(coll)}")

    return contains


def _binop(op: str, left: Fn, right: Fn) -> Fn:
    return lambda env: _arith(op, left(env), right(env))


def _selector(obj: Fn, name: str) -> Fn:
    return lambda env: _select(obj(env), name)


def _indexer(obj: Fn, key: Fn) -> Fn:
    return lambda env: _index(obj(env), key(env))


def _call(name: str, args: list[Fn]) -> Fn:
    impl = FUNCTIONS.get(name)
    if impl is None:
        raise CelUnsupported(f"function {name}()")

    def call(env: Env) -> Any:
        return impl(*(a(env) for a in args))

    return call


def _macro(name: str, target: Fn, var: str, first: Fn, second: Fn | None) -> Fn:
    def items(env: Env) -> list[Any]:
        coll = target(env)
        if isinstance(coll, list):
            return coll
        if isinstance(coll, dict):
            return list(coll)
        raise CelError(f"{name}() on {_type_name(coll)}")

    def each(env: Env, item: Any, fn: Fn) -> Any:
        scope = dict(env)
        scope[var] = item
        return fn(scope)

    if name == "all" or name == "exists":
        want = name == "exists"

        def quantifier(env: Env) -> bool:
            error: CelError | None = None
            for item in items(env):
                try:
                    if _bool(each(env, item, first), name) is want:
                        return want
                except CelError as exc:
                    error = exc
            if error is not None:
                raise error
            return not want

        return quantifier
    if name == "exists_one":
        return lambda env: sum(1 for item in items(env) if _bool(each(env, item, first), name)) == 1
    if name == "filter":
        return lambda env: [item for item in items(env) if _bool(each(env, item, first), name)]
    if second is None:
        return lambda env: [each(env, item, first) for item in items(env)]
    return lambda env: [each(env, item, second) for item in items(env) if _bool(each(env, item, first), name)]


def compile_cel(text: str) -> Fn:
    """Compile a CEL expression; the result takes the variables (``{"self": value}``)."""
    return _Parser(text).parse()
