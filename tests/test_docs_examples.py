"""Every runnable example in docs/ runs against the fake server, so none can rot."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def runnable_examples() -> list[tuple[str, str]]:
    found = []
    for page in sorted(DOCS.glob("*.md")):
        for number, code in enumerate(BLOCK.findall(page.read_text(encoding="utf-8")), 1):
            if "asyncio.run(main())" in code and "FakeWorkflowServer" in code:
                found.append((f"{page.name}#{number}", code))
    return found


EXAMPLES = runnable_examples()


def test_there_are_examples_for_every_api_group() -> None:
    pages = {name.split("#")[0] for name, _ in EXAMPLES}
    assert {"workflows.md", "executions.md", "trigger-policies.md"} <= pages


@pytest.mark.parametrize(("name", "code"), EXAMPLES, ids=[n for n, _ in EXAMPLES])
def test_example_runs(
    name: str, code: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    runpy.run_path(str(script), run_name="__main__")
    assert capsys.readouterr().out.strip(), f"{name} printed nothing"
