"""A published version in other formats: Markdown, JSON, print-ready HTML, PDF and Akoma Ntoso.

Each is rendered from the version's rows alone, which never change, and every renderer is
deterministic (no clock, no random ids): an export of a version is the same bytes whenever it
is asked for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape

from lxml import etree

from charter_drafts.publishing.models import Version, VersionClause
from charter_drafts.usertext import render_markdown

AKN = "http://docs.oasis-open.org/legaldocml/ns/akn/3.0"


@dataclass(frozen=True, slots=True)
class Edition:
    """What every export shows: the version, its clauses, the charter and its publisher."""

    slug: str
    version: Version
    clauses: list[VersionClause]
    publisher: str

    @property
    def date(self) -> str:
        return self.version.published_at.date().isoformat()


def _label(clause: VersionClause) -> str:
    return clause.title if clause.number is None else f"{clause.number}. {clause.title}"


def _paragraphs(body: str) -> list[str]:
    return [part.strip() for part in body.split("\n\n") if part.strip()]


def to_markdown(edition: Edition) -> str:
    v = edition.version
    parts = [
        f"# {v.charter_title}",
        f"*Version {v.number}: {v.title}. Published on {edition.date} by {edition.publisher}.*",
    ]
    if v.notes.strip():
        parts.append(v.notes.strip())
    for clause in edition.clauses:
        parts.append(f"## {_label(clause)}")
        parts.extend(_paragraphs(clause.body))
    return "\n\n".join(parts) + "\n"


def to_json(edition: Edition) -> str:
    v = edition.version
    document = {
        "charter": {"slug": edition.slug, "title": v.charter_title},
        "version": {
            "number": v.number,
            "title": v.title,
            "notes": v.notes,
            "published_at": v.published_at.isoformat(),
            "published_by": edition.publisher,
        },
        "clauses": [
            {"id": c.key, "number": c.number, "kind": c.kind, "title": c.title, "body": c.body}
            for c in edition.clauses
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


PRINT_STYLE = """
body { font-family: Georgia, 'Times New Roman', serif; line-height: 1.5; max-width: 42rem;
       margin: 2rem auto; padding: 0 1rem; color: #111; }
h1 { font-size: 1.8rem; margin-bottom: 0.25rem; }
p.edition { font-style: italic; color: #333; }
section.clause { break-inside: avoid; margin-top: 1.5rem; }
h2 { font-size: 1.2rem; margin-bottom: 0.25rem; }
@page { size: A4; margin: 2cm; @bottom-center { content: counter(page); } }
"""


def to_html(edition: Edition) -> str:
    v = edition.version
    clauses = "".join(
        f'<section class="clause" id="clause-{escape(c.key)}"><h2>{escape(_label(c))}</h2>'
        + "".join(f"<p>{escape(p)}</p>" for p in _paragraphs(c.body))
        + "</section>"
        for c in edition.clauses
    )
    notes = f'<div class="notes">{render_markdown(v.notes)}</div>' if v.notes.strip() else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(v.charter_title)} · {escape(v.number)}</title>"
        f"<style>{PRINT_STYLE}</style></head><body>"
        f"<h1>{escape(v.charter_title)}</h1>"
        f'<p class="edition">Version {escape(v.number)}: {escape(v.title)}. Published on '
        f"{escape(edition.date)} by {escape(edition.publisher)}.</p>{notes}{clauses}"
        "</body></html>\n"
    )


def to_pdf(edition: Edition) -> bytes:
    """The print-ready HTML laid out by WeasyPrint (fonts from the system)."""
    from weasyprint import HTML  # imported when asked: it loads Pango and the fonts

    pdf: bytes = HTML(string=to_html(edition)).write_pdf()  # its title: the HTML's <title>
    return pdf


def _akn(tag: str, parent: etree._Element | None = None, **attributes: str) -> etree._Element:
    name = f"{{{AKN}}}{tag}"
    if parent is None:
        return etree.Element(name, attrib=attributes, nsmap={None: AKN})
    return etree.SubElement(parent, name, attrib=attributes)


def to_akoma_ntoso(edition: Edition) -> bytes:
    """Akoma Ntoso 3.0 (OASIS LegalDocML): the preamble as ``preamble``, the numbered clauses
    as ``article`` with ``num`` and ``heading``, FRBR metadata with the version and its date."""
    v = edition.version
    work = f"/akn/int/act/charter/{edition.slug}"
    expression = f"{work}/eng@{edition.date}"
    manifestation = f"{expression}/!v{v.number}"
    root = _akn("akomaNtoso")
    doc = _akn("act", root, name="charter")
    meta = _akn("meta", doc)
    identification = _akn("identification", meta, source="#secretariat")
    for level, this, uri in (
        ("FRBRWork", f"{work}/!main", work),
        ("FRBRExpression", f"{expression}/!main", expression),
        ("FRBRManifestation", f"{manifestation}/main.xml", f"{manifestation}.akn"),
    ):
        frbr = _akn(level, identification)
        _akn("FRBRthis", frbr, value=this)
        _akn("FRBRuri", frbr, value=uri)
        _akn("FRBRdate", frbr, date=edition.date, name="publication")
        _akn("FRBRauthor", frbr, href="#secretariat")
        if level == "FRBRWork":
            _akn("FRBRcountry", frbr, value="int")
            _akn("FRBRname", frbr, value=v.charter_title)
        elif level == "FRBRExpression":
            _akn("FRBRversionNumber", frbr, value=v.number)
            _akn("FRBRlanguage", frbr, language="eng")
    references = _akn("references", meta, source="#secretariat")
    _akn(
        "TLCOrganization",
        references,
        eId="secretariat",
        href="/ontology/organization/secretariat",
        showAs=edition.publisher or "Secretariat",
    )
    preface = _akn("preface", doc)
    _akn("docTitle", _akn("p", preface)).text = v.charter_title
    preamble = [c for c in edition.clauses if c.number is None]
    if preamble:
        element = _akn("preamble", doc)
        for clause in preamble:
            for paragraph in _paragraphs(clause.body):
                _akn("p", element).text = paragraph
    body = _akn("body", doc)
    for clause in edition.clauses:
        if clause.number is None:
            continue
        article = _akn("article", body, eId=f"art_{clause.number}")
        _akn("num", article).text = str(clause.number)
        _akn("heading", article).text = clause.title
        content = _akn("content", article)
        for paragraph in _paragraphs(clause.body) or [""]:
            _akn("p", content).text = paragraph
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
