"""Semantics of the own CEL compiler, checked against cel-python where both agree with cel-go.

Why: the CRD validator trusts this engine for every rule; a wrong operator would silently accept
or reject rendered objects.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.schema.cel_fast import CelUnsupported, compile_cel
from tests.schema.crd_validator import CelEvalFailure, compile_cel_program

ERROR = "<error>"

CASES: list[tuple[str, Any, Any]] = [
    ("self.a || self.b", {"b": True}, True),  # error on the left is absorbed by true
    ("self.b || self.a", {"b": True}, True),
    ("self.a && self.b", {"b": False}, False),
    ("self.a || self.b", {"b": False}, ERROR),
    ("self.x == 1", {"x": 1.0}, True),
    ("self.x != 'a'", {"x": 1}, True),
    ("self.x == null", {"x": None}, True),
    ("-7 / 2 == -3 && -7 % 2 == -1", 0, True),
    ("self / 0", 1, ERROR),
    ("self.all(x, self.exists_one(y, x.name == y.name))", [{"name": "a"}, {"name": "b"}], True),
    ("self.all(x, self.exists_one(y, x.name == y.name))", [{"name": "a"}, {"name": "a"}], False),
    ("[has(self.a), has(self.b)].filter(x, x == true).size() == 1", {"a": 1}, True),
    ("self.map(x, x * 2) == [2, 4]", [1, 2], True),
    ("self.map(x, x > 1, x * 10) == [20]", [1, 2], True),
    ("self.exists(k, k == 'b')", {"a": 1, "b": 2}, True),
    ("!(self in ['Ready', 'Available'])", "Ready", False),
    ("'b' in self", {"b": 1}, True),
    ("self.matches('^(?i)net[0-9]+$')", "NET1", True),
    ("self.matches('^net[0-9]+$')", "net1\n", False),
    ("size(self) == 3 && self.size() == 3", "abc", True),
    ('(self.d == "etcd") ? has(self.t) : true', {"d": "x"}, True),
    ("self.startsWith('ab') && self.endsWith('c') && self.contains('b')", "abc", True),
    ("isCIDR(self[0]) && !isCIDR(self[1]) && isIP(self[2])", ["10.0.0.0/8", "10.0.0.1", "::1"], True),
    ("self.x", {}, ERROR),
    ("self < 'a'", 1, ERROR),
    ("string(self) + 'x' == '5x'", 5, True),
    ("{'a': 1}.a == 1 && [1, 2][1] == 2", 0, True),
    ("'it\\'s' == \"it's\"", 0, True),
]


@pytest.mark.parametrize(("expr", "value", "expected"), CASES)
def test_fast_engine(expr: str, value: Any, expected: Any) -> None:
    program, engine = compile_cel_program(expr, "fast")
    assert engine == "fast"
    try:
        got = program(value)
    except CelEvalFailure:
        got = ERROR
    assert got == expected


# cel-python gaps (cel-go semantics above): no heterogeneous equality, no 3-argument map().
CELPY_DIFFERS = {"self.x == 1", "self.x != 'a'", "self.map(x, x > 1, x * 10) == [20]"}


@pytest.mark.parametrize(("expr", "value", "expected"), [c for c in CASES if c[0] not in CELPY_DIFFERS])
def test_cel_python_agrees(expr: str, value: Any, expected: Any) -> None:
    """The same table on cel-python (the reference engine of api-generations.md Appendix A)."""
    program, engine = compile_cel_program(expr, "celpy")
    assert engine == "celpy"
    try:
        got = program(value)
    except CelEvalFailure:
        got = ERROR
    assert got == expected


def test_nested_has_on_missing_parent_is_an_error() -> None:
    program, _ = compile_cel_program("has(self.a.b)", "fast")
    assert program({"a": {"b": 1}}) is True
    assert program({"a": {}}) is False
    with pytest.raises(CelEvalFailure, match="no such key: a"):
        program({})


@pytest.mark.parametrize("expr", ["self.unknownFn()", "b'bytes'", "1u + 2u", "self.x.y(", "has(self)"])
def test_unsupported_is_reported_at_compile_time(expr: str) -> None:
    with pytest.raises(CelUnsupported):
        compile_cel(expr)
