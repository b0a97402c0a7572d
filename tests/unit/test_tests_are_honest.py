"""The tests can fail: no test writes a private attribute or calls a private method of
the package's objects, no assert holds whatever the code does, and every test checks
something (or says why finishing is the check). See tests/support/honesty.py."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.honesty import Finding, cannot_fail, private_writes, scan, without_assert

TESTS = Path(__file__).resolve().parents[1]

# Tests whose check is that they finish, in files this checker may not edit the
# comment into (each with its reason, as a `# must not raise:` comment would give it).
FINISHING_IS_THE_CHECK = {
    # compile() raises SyntaxError for a sketch that is not Python
    "tests/test_docs_examples.py:test_sketch_compiles",
}


def test_no_test_writes_privates_or_asserts_what_cannot_fail() -> None:
    findings = [f for f in scan(TESTS) if f"{f.path}:{f.text}" not in FINISHING_IS_THE_CHECK]
    assert [str(f) for f in findings] == []


def _findings(source: str) -> list[Finding]:
    tree = ast.parse(source)
    return [
        *private_writes(tree, "t.py"),
        *cannot_fail(tree, "t.py"),
        *without_assert(tree, source, "t.py", set()),
    ]


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("def test_a(bucket):\n    bucket._tokens -= 1\n    assert bucket.rate", "private-write"),
        ("def test_a(c):\n    c._clock = lambda: 0\n    assert c", "private-write"),
        ("def test_a(c):\n    setattr(c, '_x', 1)\n    assert c", "private-write"),
        ("def test_a():\n    assert True", "cannot-fail"),
        ("def test_a(x):\n    assert (x == 1, 'message')", "cannot-fail"),
        ("def test_a():\n    c = Client()\n    assert c is not None", "cannot-fail"),
        ("def test_a():\n    c = Client(1)\n    assert isinstance(c, Client)", "cannot-fail"),
        ("def test_a(m):\n    p = m.model_validate(b)\n    assert p is not None", "cannot-fail"),
        ("def test_a(c):\n    c.start()", "no-assert"),
    ],
)
def test_the_checker_finds(source: str, kind: str) -> None:
    assert [f.kind for f in _findings(source)] == [kind]


@pytest.mark.parametrize(
    "source",
    [
        "class C:\n    def __init__(self):\n        self._x = 1",  # a test's own class
        "def test_a(c):\n    x = c.get()\n    assert x is not None",  # get() may give None
        "def test_a():\n    c = Client()\n    c = c.child()\n    assert c is not None",
        "def test_a(c):\n    with pytest.raises(ValueError):\n        c.f()",
        "def test_a(c):\n    c.f()  # must not raise: any warning is an error here",
        "def test_a(c):\n    check(c)\n\ndef check(c):\n    assert c",
        "class F(Base):\n    def _answer(self):\n        return super()._answer()",
    ],
)
def test_the_checker_lets_honest_tests_be(source: str) -> None:
    tree = ast.parse(source)
    findings = [
        *private_writes(tree, "t.py"),
        *cannot_fail(tree, "t.py"),
        *without_assert(tree, source, "t.py", {"check"}),
    ]
    assert findings == []


def test_a_private_access_with_its_reason_is_accepted(tmp_path: Path) -> None:
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_x.py").write_text(
        "def test_a(sdk):\n"
        "    # private: the official SDK's own request builder\n"
        "    info = sdk._build_info(1)\n"
        "    assert info\n"
        "    sdk._other()\n"
        "    assert sdk._send(info)  # private: the official SDK's own send\n"
    )
    assert [str(f) for f in scan(tests)] == ["tests/test_x.py:5: private-call: sdk._other"]
