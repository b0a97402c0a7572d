"""Griffe extension: render Sphinx roles in docstrings as inline code.

The package's docstrings use Sphinx roles (``:class:`X```, ``:meth:`X.y```,
``:func:``, ``:mod:``, ``:data:``); mkdocstrings would show them as literal text.
This rewrites each one to inline code (``~a.b.C`` shows ``C``, as in Sphinx),
so the source keeps one docstring style and the site shows no raw markup.
``python3 dev.py docs`` checks the built site for any role left over.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:class|meth|func|mod|attr|exc|data|obj|const):`(~?)([^`]+)`")


def _code(match: re.Match[str]) -> str:
    tilde, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if tilde else target}`"


KIND = {
    griffe.ParameterKind.positional_only: "positional only",
    griffe.ParameterKind.positional_or_keyword: "positional or keyword",
    griffe.ParameterKind.keyword_only: "keyword only",
}


class SphinxRoles(griffe.Extension):
    """Replace Sphinx cross-reference roles with inline code in every docstring, and give
    each documented function without ``:param:`` fields a parameter table (name, type and
    default from the signature)."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is None:
            return
        value = ROLE.sub(_code, obj.docstring.value)
        if isinstance(obj, griffe.Function) and ":param" not in value:
            fields = [
                f":param {p.name}: {KIND[p.kind]}"
                for p in obj.parameters
                if p.name not in {"self", "cls"} and p.kind in KIND
            ]
            if fields:
                value = value.rstrip() + "\n\n" + "\n".join(fields)
        obj.docstring.value = value
