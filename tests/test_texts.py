"""The domain's refusals in English and French: every template written in the code has its
French, with the same fields, and renders in either language."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from charter_drafts.models import Phase, Role
from charter_drafts.permissions import Action, ClauseTarget, Member, refusal_reason
from charter_drafts.texts import FRENCH, Text, several, text

ROOT = Path(__file__).resolve().parent.parent


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def modules() -> list[tuple[Path, ast.Module]]:
    paths = [p for folder in ("charter_drafts", "server") for p in (ROOT / folder).rglob("*.py")]
    return [(path, ast.parse(path.read_text())) for path in paths]


def error_classes(trees: list[tuple[Path, ast.Module]]) -> set[str]:
    """``DomainError`` and every class deriving from it, in any module."""
    found = {"DomainError"}
    while True:
        more = {
            node.name
            for _, tree in trees
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef)
            and any(getattr(base, "id", None) in found for base in node.bases)
        }
        if more <= found:
            return found
        found |= more


def templates_in_the_code() -> tuple[dict[str, str], list[str]]:
    """Every string written as a refusal or a ``Text`` (template → where), and the refusals
    given a formatted string (which no translation can match)."""
    found: dict[str, str] = {}
    formatted: list[str] = []
    trees = modules()
    errors = error_classes(trees)
    for path, tree in trees:
        makers = errors | _names_from_texts(tree)  # ``text`` may be SQLAlchemy's elsewhere
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            first, where = node.args[0], f"{path.relative_to(ROOT)}:{node.lineno}"
            if name not in makers:
                continue
            if isinstance(first, ast.Constant) and type(first.value) is str:
                found[first.value] = where
            elif isinstance(first, ast.JoinedStr):
                formatted.append(where)
    return found, formatted


def _names_from_texts(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "charter_drafts.texts":
            names |= {alias.asname or alias.name for alias in node.names}
        if isinstance(node, ast.ClassDef) and node.name == "Text":  # the module itself
            names |= {"Text", "text"}
    return names & {"Text", "text"}


def test_every_template_in_the_code_has_its_french() -> None:
    found, formatted = templates_in_the_code()
    assert len(found) > 60  # the scan finds them (refusals, reasons, close reasons)
    missing = {template: where for template, where in found.items() if template not in FRENCH}
    assert not missing, f"no French for: {missing}"
    assert not formatted, f"a refusal of a formatted string (use texts.text): {formatted}"


@pytest.mark.parametrize("template", sorted(FRENCH))
def test_a_translation_has_the_fields_of_its_template(template: str) -> None:
    assert fields(FRENCH[template]) == fields(template)


def test_a_text_renders_its_values_in_the_same_language() -> None:
    observer = Member(user_id=1, role=Role.observer)
    reason = refusal_reason(observer, Action.edit_text)
    assert str(reason) == "an observer may not edit text"
    assert reason.render("fr") == "un·e observateur·rice ne peut pas modifier le texte"
    editor = Member(user_id=2, role=Role.editor)
    frozen = refusal_reason(editor, Action.edit_text, ClauseTarget(Phase.drafting, frozen=True))
    refused = text(
        "update refused: {reason}",
        reason=several([text("{reason} ({clause})", reason=frozen, clause="c-1"), frozen]),
    )
    assert str(refused) == "update refused: this clause is frozen (c-1); this clause is frozen"
    assert refused.render("fr") == (
        "modification refusée : cette clause est figée (c-1) ; cette clause est figée"
    )
    phase = refusal_reason(editor, Action.edit_text, ClauseTarget(Phase.consultation, False))
    assert phase.render("fr") == "le texte est en lecture seule en phase de consultation"
    # No translation (a message built at run time): the English, as it is, braces and all.
    assert Text("field {x} is {y}").render("fr") == "field {x} is {y}"
