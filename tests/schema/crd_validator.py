"""Offline emulation of kube-apiserver admission for CustomResources, for fast schema tests.

Why: rendered Cluster API objects must be checked against the shared CRDs (two API generations)
many times per test run (hypothesis), without a real API server.  The pipeline mirrors
apiextensions-apiserver:

1. drop ``null`` values of non-nullable fields without default
   (PruneNonNullableNullsWithoutDefaults),
2. apply schema defaults (recursively, also inside defaulted values),
3. prune unknown fields (``strict=True`` reports each as an error, like ``fieldValidation=Strict``),
4. OpenAPI v3 value checks (type, enum, pattern, lengths, ranges, list-type set/map, ...),
5. ``x-kubernetes-validations`` CEL rules, skipped when a blocking error exists (as the server does)
   and for transition rules (``oldSelf``).

Webhooks are not emulated.  Compiled schemas and CEL programs are cached per CRD version.  CEL runs
on an own closure compiler (``cel_fast``, cel-go semantics, ~10x faster); rules it cannot compile fall
back to cel-python; ``CKP_CEL_ENGINE=celpy`` forces cel-python everywhere.

Usage::

    from tests.schema.crd_validator import CRDSet
    crds = CRDSet.load("current")
    errors = crds.validate(obj)            # [] = accepted
    result = crds.admit(obj, strict=False)  # result.object = defaulted + pruned copy
"""

from __future__ import annotations

import base64
import ipaddress
import itertools
import json
import logging
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import celpy
import re2
import yaml
from celpy import celtypes

from tests.paths import shared_dir

from . import cel_fast

__all__ = ["GENERATIONS", "Admission", "CRDSet", "CelRule", "shared_dir"]

GENERATIONS = ("current", "legacy")

_MISSING: Any = object()

# celpy logs every evaluation error at ERROR level; an invalid object is not an error for us.
logging.getLogger("celpy").setLevel(logging.CRITICAL)


# --------------------------------------------------------------------------------------------
# Regular expressions: Kubernetes uses Go RE2 for `pattern`.  Python's `re` is ~10x faster, so a
# pattern is translated when that is safe, else RE2 itself (google-re2, a cel-python dependency)
# is used.


def _translate_re2(pattern: str) -> str | None:
    """RE2 → Python `re` syntax, or None when the pattern uses something we do not translate.

    Handles the two real differences seen in CRDs: inline global flags after ``^`` (``^(?i)x``,
    an error in Python ≥3.11) and ``$`` (RE2: end of text; Python: also before a final newline).
    """
    flags = ""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        c = pattern[i]
        if c == "\\":
            nxt = pattern[i + 1 : i + 2]
            if nxt in ("z", "p", "P", "Q", "E", "C") or nxt == "":
                return None
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if c == "[" and pattern[i : i + 2] == "[:":
                return None  # POSIX classes
            if c == "]":
                in_class = False
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            i += 1
            if pattern[i : i + 1] == "^":
                out.append("^")
                i += 1
            if pattern[i : i + 1] == "]":
                out.append("\\]")
                i += 1
            continue
        if c == "(" and pattern[i : i + 2] == "(?":
            m = re.match(r"\(\?([imsU]+)\)", pattern[i:])
            if m:
                if "U" in m.group(1):
                    return None
                flags += m.group(1)
                i += m.end()
                continue
            if pattern[i : i + 3] == "(?P" and pattern[i : i + 4] == "(?P<":
                out.append("(?P<")
                i += 4
                continue
        if c == "$" and "m" not in flags:
            out.append(r"\Z")
            i += 1
            continue
        out.append(c)
        i += 1
    body = "".join(out)
    return f"(?{''.join(sorted(set(flags)))}){body}" if flags else body


@cache
def compile_pattern(pattern: str) -> Callable[[str], bool]:
    """Compiled RE2-compatible search predicate (unanchored, like Go's MatchString)."""
    translated = _translate_re2(pattern)
    if translated is not None:
        try:
            rx = re.compile(translated, re.ASCII)
        except re.error:
            pass
        else:
            return lambda s: rx.search(s) is not None
    r2 = re2.compile(pattern)
    return lambda s: r2.search(s) is not None


# --------------------------------------------------------------------------------------------
# Names and formats (apimachinery validation helpers, re-implemented)

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_QUALIFIED_NAME_PART = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)?\Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\Z")
_MAC = re.compile(r"([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}\Z")
_HOSTNAME = re.compile(
    r"[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*\.?\Z"
)


def dns1123_subdomain_errors(value: str) -> list[str]:
    """Why a value is not a DNS-1123 subdomain (object names), empty if it is one."""
    errs = []
    if len(value) > 253:
        errs.append("must be no more than 253 characters")
    if not _DNS1123_SUBDOMAIN.match(value):
        errs.append(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
            "'-' or '.', and must start and end with an alphanumeric character"
        )
    return errs


def _qualified_name_errors(value: str) -> list[str]:
    """Label/annotation key rules: optional DNS-subdomain prefix + '/' + name ≤63."""
    prefix, _, name = value.rpartition("/")
    errs = []
    if "/" in value and (not prefix or dns1123_subdomain_errors(prefix)):
        errs.append("prefix part must be a DNS-1123 subdomain")
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part must be no more than 63 characters")
    elif not _QUALIFIED_NAME_PART.match(name):
        errs.append(
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start "
            "and end with an alphanumeric character"
        )
    return errs


def _is_ip(s: str) -> bool:
    if "%" in s:
        return False
    try:
        ipaddress.ip_address(s)
    except ValueError:
        return False
    return True


def _is_cidr(s: str) -> bool:
    addr, sep, bits = s.partition("/")
    if not sep or not bits.isdigit() or not _is_ip(addr):
        return False
    try:
        ipaddress.ip_network(s, strict=False)
    except ValueError:
        return False
    return True


def _is_base64(s: str) -> bool:
    try:
        base64.b64decode(s, validate=True)
    except ValueError:
        return False
    return True


_FORMATS: dict[str, Callable[[str], bool]] = {
    "byte": _is_base64,
    "date-time": lambda s: _DATE_TIME.match(s) is not None,
    "datetime": lambda s: _DATE_TIME.match(s) is not None,
    "date": lambda s: _DATE.match(s) is not None,
    "uuid": lambda s: _UUID.match(s) is not None,
    "mac": lambda s: _MAC.match(s) is not None,
    "hostname": lambda s: _HOSTNAME.match(s) is not None,
    "ipv4": lambda s: _is_ip(s) and ":" not in s,
    "ipv6": lambda s: _is_ip(s) and ":" in s,
    "cidr": _is_cidr,
}


# --------------------------------------------------------------------------------------------
# CEL

_TRANSITION = re.compile(r"\b(oldSelf|optionalOldSelf)\b")
_NULL_CMP = re.compile(r"\b(self(?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*(!=|==)\s*null\b")


def _cel_bool(v: bool) -> celtypes.BoolType:
    return celtypes.BoolType(v)


def _cel_is_ip(s: Any) -> Any:
    if not isinstance(s, str):
        return celpy.CELEvalError("no such overload: isIP", TypeError, (type(s),))
    return _cel_bool(_is_ip(s))


def _cel_is_cidr(s: Any) -> Any:
    if not isinstance(s, str):
        return celpy.CELEvalError("no such overload: isCIDR", TypeError, (type(s),))
    return _cel_bool(_is_cidr(s))


def _cel_is_sorted(lst: Any) -> Any:
    items = list(lst)
    return _cel_bool(all(a <= b for a, b in itertools.pairwise(items)))


# Kubernetes CEL library extensions used (or cheaply usable) by CRD rules.  Standard CEL
# (has, all, exists, exists_one, filter, map, size, in, matches, startsWith, ...) is celpy's.
_CEL_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "isIP": _cel_is_ip,
    "isCIDR": _cel_is_cidr,
    "lowerAscii": lambda s: celtypes.StringType(str(s).lower()),
    "upperAscii": lambda s: celtypes.StringType(str(s).upper()),
    "trim": lambda s: celtypes.StringType(str(s).strip()),
    "isSorted": _cel_is_sorted,
}


def rewrite_rule(rule: str) -> str:
    """Adapt a Kubernetes CEL rule to cel-python: ``self.a.b != null`` → ``has(self.a.b)``.

    Kubernetes CEL has heterogeneous null equality; cel-python raises on ``map != null``.
    """

    def repl(m: re.Match[str]) -> str:
        return f"has({m.group(1)})" if m.group(2) == "!=" else f"!has({m.group(1)})"

    return _NULL_CMP.sub(repl, rule)


class CelEvalFailure(Exception):
    """A rule could not be evaluated to a bool (missing field, no matching overload, ...)."""


# "fast": own closure compiler (cel_fast), cel-python for rules it cannot compile.
# "celpy": cel-python only (reference engine; ~20x slower).
CEL_ENGINE = os.environ.get("CKP_CEL_ENGINE", "fast")

_PROGRAMS: dict[tuple[str, str], Callable[[Any], Any]] = {}


def compile_cel_program(text: str, engine: str = "fast") -> tuple[Callable[[Any], Any], str]:
    """Compile a CEL expression to ``program(self_value) -> result`` (cached per engine).

    Returns the program and the engine actually used.  The program takes plain JSON-like
    values and raises :class:`CelEvalFailure` on evaluation errors; compile errors propagate.
    """
    if engine == "fast":
        prog = _PROGRAMS.get((text, "fast"))
        if prog is not None:
            return prog, "fast"
        try:
            fn = cel_fast.compile_cel(text)
        except cel_fast.CelUnsupported:
            pass
        else:
            prog = _fast_program(fn)
            _PROGRAMS[(text, "fast")] = prog
            return prog, "fast"
    prog = _PROGRAMS.get((text, "celpy"))
    if prog is None:
        env = _cel_environment()
        prog = _celpy_program(env.program(env.compile(text), functions=_CEL_FUNCTIONS))
        _PROGRAMS[(text, "celpy")] = prog
    return prog, "celpy"


def _fast_program(fn: Callable[[dict[str, Any]], Any]) -> Callable[[Any], Any]:
    def run(value: Any) -> Any:
        try:
            return fn({"self": value})
        except cel_fast.CelError as exc:
            raise CelEvalFailure(str(exc)) from None
        except (TypeError, ValueError, ArithmeticError, re.error) as exc:
            raise CelEvalFailure(f"{type(exc).__name__}: {exc}") from None

    return run


def _celpy_program(prog: Any) -> Callable[[Any], Any]:
    def run(value: Any) -> Any:
        try:
            result = prog.evaluate({"self": to_cel(value)})
        except Exception as exc:
            result = exc
        if isinstance(result, BaseException):
            raise CelEvalFailure(str(result.args[0]) if result.args else type(result).__name__)
        if isinstance(result, celtypes.BoolType):
            return bool(result)
        if isinstance(result, celtypes.StringType):
            return str(result)
        return result

    return run


@dataclass(eq=False)
class CelRule:
    """One ``x-kubernetes-validations`` entry, compiled once; counts its evaluations."""

    rule: str
    message: str | None
    message_expression: str | None
    field_path: str | None
    location: str  # "<crd>/<version>:<schema path>"
    transition: bool = False
    unsupported: str | None = None  # why the offline evaluator cannot run it
    engine: str | None = None  # "fast" or "celpy"
    evaluations: int = 0
    eval_errors: int = 0
    last_error: str | None = None
    _program: Any = field(default=None, repr=False)
    _msg_program: Any = field(default=None, repr=False)

    @classmethod
    def build(cls, spec: dict[str, Any], location: str, engine: str | None = None) -> CelRule:
        rule = str(spec.get("rule", ""))
        r = cls(
            rule=rule,
            message=spec.get("message"),
            message_expression=spec.get("messageExpression"),
            field_path=spec.get("fieldPath"),
            location=location,
        )
        if _TRANSITION.search(rule):
            r.transition = True
            return r
        engine = engine or CEL_ENGINE
        try:
            r._program, r.engine = compile_cel_program(rewrite_rule(rule), engine)
        except Exception as exc:  # parse errors and anything celpy chokes on
            r.unsupported = f"cannot compile: {exc}".splitlines()[0]
        if r.message_expression:
            try:
                r._msg_program, _ = compile_cel_program(r.message_expression, engine)
            except Exception:
                r._msg_program = None
        return r

    def evaluate(self, value: Any) -> tuple[bool, str | None]:
        """(passed, evaluation error) for ``self`` = ``value`` (plain JSON-like data)."""
        self.evaluations += 1
        try:
            result = self._program(value)
        except CelEvalFailure as exc:
            msg = str(exc)
        else:
            if isinstance(result, bool):
                return result, None
            msg = f"rule returned {type(result).__name__}, not bool"
        self.eval_errors += 1
        self.last_error = msg
        return False, msg

    def failure_message(self, value: Any) -> str:
        """message / messageExpression / 'failed rule: ...', as the API server picks it."""
        if self._msg_program is not None:
            try:
                out = self._msg_program(value)
            except CelEvalFailure:
                out = None
            if isinstance(out, str) and out.strip():
                return out
        if self.message:
            return self.message
        return f"failed rule: {self.rule}"


@cache
def _cel_environment() -> celpy.Environment:
    return celpy.Environment()


def to_cel(value: Any) -> Any:
    """JSON-like Python value → celpy value (bool before int: bool is an int in Python)."""
    return celpy.json_to_cel(value)


def _fast_matches(s: Any, pattern: Any) -> bool:
    if not isinstance(s, str) or not isinstance(pattern, str):
        raise cel_fast.CelError("no such overload: matches")
    return compile_pattern(pattern)(s)


def _fast_str_predicate(fn: Callable[[str], bool], name: str) -> Callable[[Any], bool]:
    def check(s: Any) -> bool:
        if not isinstance(s, str):
            raise cel_fast.CelError(f"no such overload: {name}")
        return fn(s)

    return check


cel_fast.FUNCTIONS.update(
    {
        "matches": _fast_matches,
        "isIP": _fast_str_predicate(_is_ip, "isIP"),
        "isCIDR": _fast_str_predicate(_is_cidr, "isCIDR"),
    }
)


# --------------------------------------------------------------------------------------------
# Compiled schema


class _Node:
    """A structural-schema node compiled once: constraints pre-parsed, children linked."""

    __slots__ = (
        "additional",
        "default",
        "defaulted",
        "embedded",
        "enum",
        "enum_set",
        "exclusive_maximum",
        "exclusive_minimum",
        "format",
        "int_or_string",
        "items",
        "junctions",
        "list_map_keys",
        "list_type",
        "max_items",
        "max_length",
        "max_properties",
        "maximum",
        "min_items",
        "min_length",
        "min_properties",
        "minimum",
        "multiple_of",
        "nullable",
        "pattern",
        "pattern_src",
        "preserve_unknown",
        "properties",
        "required",
        "root",
        "rules",
        "type",
    )

    def __init__(self, schema: dict[str, Any], loc: str, rules_out: list[CelRule] | None, root: bool = False) -> None:
        s = schema or {}
        self.root = root
        self.type: str | None = s.get("type")
        self.nullable = bool(s.get("nullable", False))
        self.default = s.get("default", _MISSING)
        self.int_or_string = bool(s.get("x-kubernetes-int-or-string", False))
        self.preserve_unknown = bool(s.get("x-kubernetes-preserve-unknown-fields", False))
        self.embedded = bool(s.get("x-kubernetes-embedded-resource", False))
        self.properties: dict[str, _Node] | None = None
        if "properties" in s:
            self.properties = {k: _Node(v, f"{loc}.{k}", rules_out) for k, v in (s["properties"] or {}).items()}
        ap = s.get("additionalProperties", _MISSING)
        self.additional: _Node | None = None
        if isinstance(ap, dict):
            self.additional = _Node(ap, f"{loc}[*]", rules_out)
        elif ap is True:
            self.additional = _Node({"x-kubernetes-preserve-unknown-fields": True}, loc, None)
        self.items: _Node | None = (
            _Node(s["items"], f"{loc}[]", rules_out) if isinstance(s.get("items"), dict) else None
        )
        self.required: tuple[str, ...] = tuple(s.get("required") or ())
        enum = s.get("enum")
        self.enum: list[Any] | None = list(enum) if enum is not None else None
        self.enum_set = frozenset(_freeze(v) for v in enum) if enum is not None else None
        self.pattern_src: str | None = s.get("pattern")
        self.pattern = compile_pattern(self.pattern_src) if self.pattern_src else None
        fmt = s.get("format")
        self.format: tuple[str, Callable[[str], bool]] | None = (fmt, _FORMATS[fmt]) if fmt in _FORMATS else None
        self.minimum = s.get("minimum")
        self.maximum = s.get("maximum")
        self.exclusive_minimum = bool(s.get("exclusiveMinimum", False))
        self.exclusive_maximum = bool(s.get("exclusiveMaximum", False))
        self.multiple_of = s.get("multipleOf")
        self.min_length = s.get("minLength")
        self.max_length = s.get("maxLength")
        self.min_items = s.get("minItems")
        self.max_items = s.get("maxItems")
        self.min_properties = s.get("minProperties")
        self.max_properties = s.get("maxProperties")
        self.list_type: str | None = s.get("x-kubernetes-list-type")
        self.list_map_keys: tuple[str, ...] = tuple(s.get("x-kubernetes-list-map-keys") or ())
        # allOf/anyOf/oneOf/not carry value validations only (structural-schema rule).
        self.junctions: list[tuple[str, list[_Node]]] = []
        for key in ("allOf", "anyOf", "oneOf"):
            if s.get(key):
                self.junctions.append((key, [_Node(sub, f"{loc}<{key}>", None) for sub in s[key]]))
        if isinstance(s.get("not"), dict):
            self.junctions.append(("not", [_Node(s["not"], f"{loc}<not>", None)]))
        self.defaulted: tuple[tuple[str, Any], ...] = tuple(
            (k, n.default) for k, n in (self.properties or {}).items() if n.default is not _MISSING
        )
        self.rules: list[CelRule] = []
        if rules_out is not None:
            for spec in s.get("x-kubernetes-validations") or ():
                r = CelRule.build(spec, loc or "<root>")
                self.rules.append(r)
                rules_out.append(r)

    @property
    def accepts_anything(self) -> bool:
        return self.type is None and not self.int_or_string


def _freeze(v: Any) -> Any:
    """Hashable, type-aware identity of a JSON value (True ≠ 1, 1 == 1.0)."""
    if isinstance(v, bool):
        return ("b", v)
    if isinstance(v, int | float):
        return ("n", v)
    if isinstance(v, str):
        return ("s", v)
    if v is None:
        return ("z",)
    if isinstance(v, list):
        return ("l", tuple(_freeze(x) for x in v))
    if isinstance(v, dict):
        return ("m", tuple(sorted((k, _freeze(x)) for k, x in v.items())))
    return ("?", repr(v))


def _copy_json(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _copy_json(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_copy_json(x) for x in v]
    return v


def _show(v: Any, limit: int = 80) -> str:
    try:
        s = json.dumps(v, sort_keys=True, default=str)
    except (TypeError, ValueError):
        s = repr(v)
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# --------------------------------------------------------------------------------------------
# Admission


@dataclass
class Admission:
    """Outcome of one emulated create: the object as the server would store it, and errors."""

    object: Any
    errors: list[str]
    pruned: list[str]  # paths of unknown fields removed (also listed in errors when strict)
    warnings: list[str]

    @property
    def accepted(self) -> bool:
        return not self.errors


_OBJECT_META_KEYS = frozenset(
    {
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    }
)
_RESOURCE_KEYS = ("apiVersion", "kind", "metadata")
_ANNOTATIONS_MAX_BYTES = 256 * 1024


class _Run:
    """State of one admission: collected errors, pending CEL checks."""

    __slots__ = ("blocking", "errors", "pending", "pruned", "strict")

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.errors: list[str] = []
        self.pruned: list[str] = []
        self.pending: list[tuple[_Node, Any, str]] = []
        self.blocking = False

    def err(self, path: str, msg: str, blocking: bool = False) -> None:
        self.errors.append(f"{path or '<root>'}: {msg}")
        if blocking:
            self.blocking = True

    # -- walking ----------------------------------------------------------------------------

    def walk(self, node: _Node, value: Any, path: str) -> Any:
        """Null-drop/default/prune in place below ``value`` and check it; returns the value."""
        if value is None:
            if not (node.nullable or (node.accepts_anything and node.preserve_unknown)):
                self.err(path, f'Invalid value: "null": must be of type {node.type or "any"}', True)
            return value
        t = node.type
        if node.int_or_string:
            if isinstance(value, bool) or not isinstance(value, int | str):
                self.err(
                    path,
                    f"Invalid value: {_show(value)}: must be an integer or a string (got {_type_name(value)})",
                    True,
                )
                return value
        elif t is not None and not _type_ok(t, value):
            self.err(
                path,
                f"Invalid value: {_show(value)}: must be of type {t} (got {_type_name(value)})",
                True,
            )
            return value

        if isinstance(value, dict):
            if t == "object" or node.preserve_unknown or node.properties is not None:
                self._walk_object(node, value, path)
        elif isinstance(value, list):
            if node.items is not None:
                items = node.items
                for i, item in enumerate(value):
                    value[i] = self.walk(items, item, f"{path}[{i}]")
            self._check_array(node, value, path)
        elif isinstance(value, str):
            self._check_string(node, value, path)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            self._check_number(node, value, path)

        if node.enum_set is not None and _freeze(value) not in node.enum_set:
            shown = ", ".join(_show(e) for e in node.enum or ())
            self.err(path, f"Unsupported value: {_show(value)}: supported values: {shown}", True)
        if node.junctions:
            self._check_junctions(node, value, path)
        if node.rules:
            self.pending.append((node, value, path))
        return value

    def _walk_object(self, node: _Node, value: dict[str, Any], path: str) -> None:
        props = node.properties
        addl = node.additional
        resource_like = node.root or node.embedded
        # 1. nulls of non-nullable fields: default them if a default exists, else drop them
        for k in [k for k, v in value.items() if v is None]:
            child = props.get(k) if props else None
            if child is None:
                child = addl
            if child is None or child.nullable:
                continue
            if child.default is not _MISSING:
                value[k] = _copy_json(child.default)
            else:
                del value[k]
        # 2. defaults
        for k, default in node.defaulted:
            if k not in value:
                value[k] = _copy_json(default)
        # 3. unknown fields
        if addl is None and not node.preserve_unknown:
            known = props or {}
            for k in [k for k in value if k not in known]:
                if resource_like and k in _RESOURCE_KEYS:
                    continue
                del value[k]
                p = _join(path, k)
                self.pruned.append(p)
                if self.strict:
                    self.err(p, "Unknown field: field not declared in schema")
        # 4. children
        for k, v in value.items():
            if resource_like and k in _RESOURCE_KEYS:
                if k == "metadata":
                    meta_node = props.get("metadata") if props else None
                    value[k] = self._check_metadata(v, _join(path, k), node.root, meta_node)
                elif not isinstance(v, str):
                    self.err(_join(path, k), f"Invalid value: {_show(v)}: must be a string", True)
                continue
            child = props.get(k) if props else None
            if child is not None:
                value[k] = self.walk(child, v, _join(path, k))
            elif addl is not None:
                value[k] = self.walk(addl, v, f"{path}[{k}]")
        if node.root and "metadata" not in value:
            self._check_metadata(None, "metadata", True, None)
        # 5. object constraints
        for k in node.required:
            if k not in value:
                self.err(_join(path, k), "Required value", True)
        if node.embedded and not node.root:
            for k in ("apiVersion", "kind"):
                if not value.get(k):
                    self.err(_join(path, k), "Required value: must not be empty", True)
        n = len(value)
        if node.min_properties is not None and n < node.min_properties:
            self.err(
                path,
                f"Invalid value: {n}: must have at least {node.min_properties} properties",
            )
        if node.max_properties is not None and n > node.max_properties:
            self.err(path, f"Too many: {n}: must have at most {node.max_properties} properties", True)

    def _check_array(self, node: _Node, value: list[Any], path: str) -> None:
        n = len(value)
        if node.min_items is not None and n < node.min_items:
            self.err(path, f"Invalid value: {n}: must have at least {node.min_items} items")
        if node.max_items is not None and n > node.max_items:
            self.err(path, f"Too many: {n}: must have at most {node.max_items} items", True)
        lt = node.list_type
        if lt == "set":
            seen: set[Any] = set()
            for i, item in enumerate(value):
                f = _freeze(item)
                if f in seen:
                    self.err(f"{path}[{i}]", f"Duplicate value: {_show(item)}")
                seen.add(f)
        elif lt == "map" and node.list_map_keys:
            seen_keys: set[Any] = set()
            for i, item in enumerate(value):
                if not isinstance(item, dict):
                    continue
                key = tuple(_freeze(item.get(k)) for k in node.list_map_keys)
                if key in seen_keys:
                    shown = {k: item.get(k) for k in node.list_map_keys}
                    self.err(f"{path}[{i}]", f"Duplicate value: {_show(shown)}")
                seen_keys.add(key)

    def _check_string(self, node: _Node, value: str, path: str) -> None:
        if node.min_length is not None or node.max_length is not None:
            n = len(value)
            if node.max_length is not None and n > node.max_length:
                self.err(
                    path,
                    f"Too long: may not be more than {node.max_length} characters (got {n})",
                    True,
                )
            if node.min_length is not None and n < node.min_length:
                self.err(
                    path,
                    f"Invalid value: {_show(value)}: should be at least {node.min_length} chars long",
                )
        if node.pattern is not None and not node.pattern(value):
            self.err(path, f"Invalid value: {_show(value)}: should match '{node.pattern_src}'")
        if node.format is not None and not node.format[1](value):
            self.err(path, f"Invalid value: {_show(value)}: must be of format {node.format[0]}")

    def _check_number(self, node: _Node, value: float, path: str) -> None:
        lo, hi = node.minimum, node.maximum
        if lo is not None and (value < lo or (node.exclusive_minimum and value == lo)):
            op = ">" if node.exclusive_minimum else ">="
            self.err(path, f"Invalid value: {_show(value)}: should be {op} {lo}")
        if hi is not None and (value > hi or (node.exclusive_maximum and value == hi)):
            op = "<" if node.exclusive_maximum else "<="
            self.err(path, f"Invalid value: {_show(value)}: should be {op} {hi}")
        m = node.multiple_of
        if m and (value / m) != int(value / m):
            self.err(path, f"Invalid value: {_show(value)}: should be a multiple of {m}")

    def _check_junctions(self, node: _Node, value: Any, path: str) -> None:
        for kind, subs in node.junctions:
            results = [not _value_errors(sub, value) for sub in subs]
            if kind == "allOf" and not all(results):
                self.err(path, f"Invalid value: {_show(value)}: must validate all the schemas (allOf)")
            elif kind == "anyOf" and not any(results):
                self.err(
                    path,
                    f"Invalid value: {_show(value)}: must validate at least one schema (anyOf)",
                )
            elif kind == "oneOf" and sum(results) != 1:
                self.err(
                    path,
                    f"Invalid value: {_show(value)}: must validate one and only one schema (oneOf)",
                )
            elif kind == "not" and results[0]:
                self.err(path, f"Invalid value: {_show(value)}: must not validate the schema (not)")

    def _check_metadata(self, meta: Any, path: str, root: bool, schema: _Node | None) -> Any:
        """ObjectMeta as the server decodes and validates it (apimachinery rules, simplified)."""
        if meta is None:
            meta = {}
        if not isinstance(meta, dict):
            self.err(path, f"Invalid value: {_show(meta)}: must be of type object", True)
            return meta
        for k in [k for k, v in meta.items() if v is None]:
            del meta[k]
        for k in [k for k in meta if k not in _OBJECT_META_KEYS]:
            del meta[k]
            self.pruned.append(_join(path, k))
            if self.strict:
                self.err(_join(path, k), "Unknown field: field not declared in schema")
        name = meta.get("name")
        if name is None:
            if root and not meta.get("generateName"):
                self.err(_join(path, "name"), "Required value: name or generateName is required", True)
        elif not isinstance(name, str):
            self.err(_join(path, "name"), f"Invalid value: {_show(name)}: must be a string", True)
        else:
            for e in dns1123_subdomain_errors(name):
                self.err(_join(path, "name"), f"Invalid value: {_show(name)}: {e}")
        gen = meta.get("generateName")
        if gen is not None and not isinstance(gen, str):
            self.err(_join(path, "generateName"), "Invalid value: must be a string", True)
        ns = meta.get("namespace")
        if ns is not None and (not isinstance(ns, str) or not (ns and len(ns) <= 63 and _DNS1123_LABEL.match(ns))):
            self.err(
                _join(path, "namespace"),
                f"Invalid value: {_show(ns)}: must be a DNS-1123 label (≤63 lowercase alphanumerics or '-')",
            )
        labels = meta.get("labels")
        if labels is not None:
            if not isinstance(labels, dict):
                self.err(_join(path, "labels"), "Invalid value: must be a map of strings", True)
            else:
                for k, v in labels.items():
                    p = f"{path}.labels[{k}]"
                    for e in _qualified_name_errors(str(k)):
                        self.err(p, f"Invalid value: {_show(k)}: key {e}")
                    if not isinstance(v, str):
                        self.err(p, f"Invalid value: {_show(v)}: must be of type string", True)
                    elif len(v) > 63 or not _LABEL_VALUE.match(v):
                        self.err(
                            p,
                            f"Invalid value: {_show(v)}: a label value must be ≤63 characters of "
                            "alphanumerics, '-', '_' or '.', starting and ending alphanumeric",
                        )
        annotations = meta.get("annotations")
        if annotations is not None:
            if not isinstance(annotations, dict):
                self.err(_join(path, "annotations"), "Invalid value: must be a map of strings", True)
            else:
                total = 0
                for k, v in annotations.items():
                    p = f"{path}.annotations[{k}]"
                    for e in _qualified_name_errors(str(k).lower()):
                        self.err(p, f"Invalid value: {_show(k)}: key {e}")
                    if not isinstance(v, str):
                        self.err(p, f"Invalid value: {_show(v)}: must be of type string", True)
                    else:
                        total += len(str(k)) + len(v.encode())
                if total > _ANNOTATIONS_MAX_BYTES:
                    self.err(
                        _join(path, "annotations"),
                        f"Too long: may not be more than {_ANNOTATIONS_MAX_BYTES} bytes",
                        True,
                    )
        fins = meta.get("finalizers")
        if fins is not None and (not isinstance(fins, list) or not all(isinstance(f, str) for f in fins)):
            self.err(_join(path, "finalizers"), "Invalid value: must be a list of strings", True)
        # a CRD may restrict metadata.name/generateName further in its schema
        if schema is not None and schema.properties:
            for k in ("name", "generateName"):
                sub = schema.properties.get(k)
                if sub is not None and isinstance(meta.get(k), str):
                    self.walk(sub, meta[k], _join(path, k))
        return meta

    # -- CEL ----------------------------------------------------------------------------------

    def run_cel(self) -> None:
        if not self.pending:
            return
        if self.blocking:
            self.errors.append(
                "<root>: Invalid value: some validation rules (x-kubernetes-validations) were not "
                "checked because the object was invalid; correct the existing errors to complete "
                "validation"
            )
            return
        for node, value, path in self.pending:
            for rule in node.rules:
                if rule.transition:
                    continue
                if rule.unsupported is not None:
                    self.err(
                        path,
                        f"Internal error: CEL rule not supported by the offline validator "
                        f"({rule.unsupported}): {rule.rule}",
                    )
                    continue
                ok, eval_err = rule.evaluate(value)
                p = path + (rule.field_path or "") if rule.field_path else path
                if eval_err is not None:
                    self.err(
                        p,
                        f"Invalid value: {_show(_type_name(value))}: rule evaluation error: "
                        f"{eval_err} (rule: {rule.rule})",
                    )
                elif not ok:
                    self.err(
                        p,
                        f"Invalid value: {_show(_type_name(value))}: {rule.failure_message(value)} (rule: {rule.rule})",
                    )


def _type_ok(t: str, v: Any) -> bool:
    if t == "object":
        return isinstance(v, dict)
    if t == "array":
        return isinstance(v, list)
    if t == "string":
        return isinstance(v, str)
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if t == "number":
        return isinstance(v, int | float) and not isinstance(v, bool)
    if t == "boolean":
        return isinstance(v, bool)
    return True


def _value_errors(node: _Node, value: Any) -> list[str]:
    """Validation-only run (junction sub-schemas): no pruning, no defaults, no CEL."""
    run = _Run(strict=False)
    run.walk(node, _copy_json(value), "")
    return run.errors


# --------------------------------------------------------------------------------------------
# CRD set


@dataclass
class _Version:
    crd: str
    group: str
    kind: str
    version: str
    served: bool
    deprecated: bool
    deprecation_warning: str | None
    status_subresource: bool
    schema: dict[str, Any]
    node: _Node | None = None
    rules: list[CelRule] = field(default_factory=list)

    def compiled(self) -> _Node:
        if self.node is None:
            rules: list[CelRule] = []
            self.node = _Node(self.schema, "", rules, root=True)
            for r in rules:
                r.location = f"{self.crd}/{self.version}:{r.location}"
            self.rules = rules
        return self.node


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CRDSet:
    """All CRDs of one generation, indexed by (group, version, kind); schemas compile lazily."""

    def __init__(self, generation: str, directory: Path) -> None:
        self.generation = generation
        self.directory = directory
        self._versions: dict[tuple[str, str, str], _Version] = {}
        self._kinds: dict[tuple[str, str], list[str]] = {}
        for f in sorted(directory.glob("*.yaml")):
            with f.open(encoding="utf-8") as fh:
                docs = list(yaml.load_all(fh, Loader=_Loader))
            for doc in docs:
                if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                    self._add(doc)

    def _add(self, crd: dict[str, Any]) -> None:
        spec = crd.get("spec") or {}
        group, kind = spec["group"], spec["names"]["kind"]
        name = (crd.get("metadata") or {}).get("name", f"{spec['names'].get('plural')}.{group}")
        top_schema = (spec.get("validation") or {}).get("openAPIV3Schema")
        for v in spec.get("versions") or ():
            schema = ((v.get("schema") or {}).get("openAPIV3Schema")) or top_schema or {}
            key = (group, v["name"], kind)
            self._versions[key] = _Version(
                crd=name,
                group=group,
                kind=kind,
                version=v["name"],
                served=bool(v.get("served", True)),
                deprecated=bool(v.get("deprecated", False)),
                deprecation_warning=v.get("deprecationWarning"),
                status_subresource="status" in (v.get("subresources") or {}),
                schema=schema,
            )
            self._kinds.setdefault((group, kind), []).append(v["name"])

    @classmethod
    def load(cls, generation: str) -> CRDSet:
        """The CRD set ``current`` or ``legacy`` from ``<shared>/crds/<generation>`` (cached)."""
        if generation not in GENERATIONS:
            raise ValueError(f"unknown CRD generation {generation!r}; expected one of {GENERATIONS}")
        return _load_cached(generation, str(shared_dir() / "crds" / generation))

    # -- queries --------------------------------------------------------------------------------

    def served_versions(self, group: str, kind: str) -> list[str]:
        """Versions of a kind this CRD set serves (empty: kind unknown)."""
        return [v for v in self._kinds.get((group, kind), []) if self._versions[(group, v, kind)].served]

    def kinds(self) -> list[tuple[str, str, str]]:
        """Every served (group, version, kind)."""
        return sorted(k for k, v in self._versions.items() if v.served)

    def rules(self) -> list[CelRule]:
        """Every CEL rule of every served version (compiles all schemas)."""
        out: list[CelRule] = []
        for key in self.kinds():
            ver = self._versions[key]
            ver.compiled()
            out.extend(ver.rules)
        return out

    def schema_node(self, group: str, version: str, kind: str) -> _Node:
        """The compiled root schema node of a served version (for tests that walk schemas)."""
        return self._versions[(group, version, kind)].compiled()

    def iter_rule_sites(self) -> Iterator[tuple[tuple[str, str, str], str, _Node]]:
        """(gvk, schema path, node) for every schema node that carries CEL rules."""
        for key in self.kinds():
            yield from _rule_sites(key, self.schema_node(*key), "")

    # -- admission -----------------------------------------------------------------------------

    def validate(self, obj: dict[str, Any], strict: bool = True) -> list[str]:
        """Errors a kube-apiserver with these CRDs would return on create ([] = accepted)."""
        return self.admit(obj, strict=strict).errors

    def admit(self, obj: dict[str, Any], strict: bool = True) -> Admission:
        """Emulated create: the stored form of ``obj`` (defaulted, pruned) plus errors."""
        if not isinstance(obj, dict):
            return Admission(obj, [f"<root>: Invalid value: {_show(obj)}: not an object"], [], [])
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not isinstance(api_version, str) or not api_version:
            return Admission(obj, ["apiVersion: Required value"], [], [])
        if not isinstance(kind, str) or not kind:
            return Admission(obj, ["kind: Required value"], [], [])
        group, _, version = api_version.rpartition("/")
        ver = self._versions.get((group, version, kind))
        if ver is None or not ver.served:
            served = self.served_versions(group, kind)
            hint = (
                f"; served versions: {', '.join(f'{group}/{v}' for v in served)}"
                if served
                else "; no CRD for this kind"
            )
            return Admission(
                obj,
                [f'<root>: no matches for kind "{kind}" in version "{api_version}" ({self.generation} CRDs{hint})'],
                [],
                [],
            )
        node = ver.compiled()
        data = _copy_json(obj)
        if ver.status_subresource:
            data.pop("status", None)  # the main endpoint ignores status when it is a subresource
        run = _Run(strict)
        data = run.walk(node, data, "")
        run.run_cel()
        warnings = []
        if ver.deprecated:
            warnings.append(ver.deprecation_warning or f"{api_version} {kind} is deprecated")
        return Admission(data, run.errors, run.pruned, warnings)


def _rule_sites(gvk: tuple[str, str, str], node: _Node, path: str) -> Iterator[tuple[tuple[str, str, str], str, _Node]]:
    if node.rules:
        yield gvk, path or "<root>", node
    for k, child in (node.properties or {}).items():
        yield from _rule_sites(gvk, child, _join(path, k))
    if node.additional is not None:
        yield from _rule_sites(gvk, node.additional, f"{path}[*]")
    if node.items is not None:
        yield from _rule_sites(gvk, node.items, f"{path}[]")


@cache
def _load_cached(generation: str, directory: str) -> CRDSet:
    path = Path(directory)
    if not path.is_dir():
        raise FileNotFoundError(f"CRD directory {path} not found (set CKP_SHARED_DIR to the shared/ tree)")
    return CRDSet(generation, path)
