"""The demo charter's history so far: version 0.1 published, then amendments (open and
supported, stale, merged, rejected) and a live edit, so that 0.1 and the live draft differ; the
clauses' revisions (0.1's publish, the live edit with its editor, the merged amendment).

Seeded once, with the charter, through the same operations members use; the live document is
changed as a room would change it (each change appended to the charter's log). The amendments
only rewrite words: the demo's clauses stay as ``content`` lists them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pycrdt import Doc
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from charter_drafts.deliberation.amendments import Proposal, accept, propose, reject, support
from charter_drafts.deliberation.merge import clause_text
from charter_drafts.document.schema import clauses_of, load_document
from charter_drafts.document.update_log import append_updates, load_state
from charter_drafts.document.words import utf8_offset
from charter_drafts.endorsements.endorsements import (
    NewOrganisation,
    Request,
    Signatory,
    endorse,
    request_endorsement,
    withdraw,
)
from charter_drafts.models import Charter, Membership, User
from charter_drafts.people.memberships import as_member
from charter_drafts.permissions import Member
from charter_drafts.publishing.models import RevisionSource
from charter_drafts.publishing.revisions import Contributor, live_text, record, record_document
from charter_drafts.publishing.versions import publish


class StoredDocument:
    """A charter's document as stored, changed the way its room would change it."""

    def __init__(self, session: AsyncSession, charter_id: int, doc: Doc[Any]) -> None:
        self._session = session
        self._charter_id = charter_id
        self._doc = doc

    @property
    def doc(self) -> Doc[Any]:
        return self._doc

    @property
    def session(self) -> AsyncSession:
        return self._session

    async def change(self, edit: Callable[[Doc[Any]], None]) -> None:
        before = self._doc.get_state()
        edit(self._doc)
        await append_updates(self._session, [(self._charter_id, self._doc.get_update(before))])
        await self._session.commit()


async def member_by_email(session: AsyncSession, charter_id: int, email: str) -> Member:
    """The charter's member with this e-mail (one of the demo's seeded accounts)."""
    query = (
        select(User, Membership)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(col(User.email) == email, col(Membership.charter_id) == charter_id)
    )
    user, membership = (await session.execute(query)).one()
    return as_member(user, membership)


def _append(key: str, words: str) -> Callable[[Doc[Any]], None]:
    def edit(doc: Doc[Any]) -> None:
        body = clauses_of(doc)[key]["body"]
        current = str(body)
        body.insert(utf8_offset(current, len(current)), words)

    return edit


async def _revision(
    document: StoredDocument,
    charter_id: int,
    key: str,
    source: RevisionSource,
    ref: str,
    member: Member,
) -> None:
    title, body = live_text(document.doc, key)
    person = Contributor(member.user_id, member.organisation_id)
    await record(document.session, charter_id, key, title, body, source, ref, [person])


async def seed_history(session: AsyncSession, charter: Charter) -> None:
    """A published version and amendments from the demo members, as a first visitor should
    find them."""
    assert charter.id is not None
    document = StoredDocument(
        session, charter.id, load_document((await load_state(session, charter.id)).updates)
    )
    secretariat = await member_by_email(session, charter.id, "secretariat@example.org")
    elena = await member_by_email(session, charter.id, "editor@example.org")
    edouard = await member_by_email(session, charter.id, "editor2@example.org")
    chiara = await member_by_email(session, charter.id, "commenter@example.org")

    def body(key: str) -> str:
        return clause_text(document.doc, key, "body") or ""

    # Open and supported: a welcome network asks for libraries and cultural centres.
    welcome = body("social-cohesion").replace(
        "schools, workplaces, sports clubs",
        "schools, libraries, cultural centres, workplaces, sports clubs",
        1,
    )
    supported = await propose(
        session,
        chiara,
        charter,
        document,
        "social-cohesion",
        Proposal(
            "replace",
            None,
            welcome,
            "Libraries and cultural centres are where many newcomers first meet their neighbours.",
        ),
    )
    await support(session, edouard, charter, supported)
    await support(session, elena, charter, supported)

    await publish(
        session,
        secretariat,
        charter,
        document.doc,
        number="0.1",
        title="First reading draft",
        notes="The text as the cities' working group agreed it for a **first reading**. "
        "Comments and amendments are open until the next version.",
    )
    await record_document(session, charter.id, document.doc, RevisionSource.publish, "0.1")

    # Stale: proposed, then the clause was extended live; accepting now keeps both.
    stale_text = body("natural-phenomenon").replace(
        "avoid measures driven by fear", "avoid measures driven by fear or haste", 1
    )
    await propose(
        session,
        edouard,
        charter,
        document,
        "natural-phenomenon",
        Proposal("replace", None, stale_text, "Hasty measures do as much harm as fearful ones."),
    )
    await document.change(
        _append(
            "natural-phenomenon",
            " Mobility also enriches the places people leave, through the ties they keep.",
        )
    )
    live = RevisionSource.live
    await _revision(document, charter.id, "natural-phenomenon", live, "", elena)

    # Merged: a civil-society wording the secretariat accepted.
    merged_text = body("inclusive-citizenship").replace(
        "depend on residence rather than nationality or status",
        "depend on residence rather than on nationality or administrative status",
        1,
    )
    merged = await propose(
        session,
        chiara,
        charter,
        document,
        "inclusive-citizenship",
        Proposal("replace", None, merged_text, "Status is an administrative matter; say so."),
    )
    await accept(session, secretariat, charter, document, merged, "Agreed at the first reading.")
    source, ref = RevisionSource.amendment, str(merged.id)
    await _revision(document, charter.id, "inclusive-citizenship", source, ref, chiara)

    # Rejected: deleting a clause the cities want to keep.
    deletion = await propose(
        session,
        edouard,
        charter,
        document,
        "peace-development",
        Proposal("delete", None, None, "Development policy is not a competence of cities."),
    )
    await reject(
        session,
        secretariat,
        charter,
        deletion,
        "Cities act on it through their partnerships; the clause stays.",
    )


async def seed_endorsements(session: AsyncSession, charter: Charter) -> None:
    """Endorsements of 0.1: two cities, a network that withdrew, one public request waiting."""
    assert charter.id is not None
    elena = await member_by_email(session, charter.id, "editor@example.org")
    edouard = await member_by_email(session, charter.id, "editor2@example.org")
    chiara = await member_by_email(session, charter.id, "commenter@example.org")
    await endorse(
        session,
        elena,
        charter,
        "0.1",
        Signatory(
            "Elena Editor",
            "Deputy mayor for social affairs",
            "An island of arrivals knows what welcome takes.",
        ),
    )
    await endorse(
        session,
        edouard,
        charter,
        "0.1",
        Signatory("Edouard Editor", "Councillor for international relations"),
    )
    withdrawn, _added = await endorse(
        session, chiara, charter, "0.1", Signatory("Chiara Commenter", "Coordinator")
    )
    await withdraw(session, chiara, charter, withdrawn)
    await request_endorsement(
        session,
        charter,
        Request(
            NewOrganisation("Demo refugee council", "civil_society", "DE"),
            Signatory("Jonas Beispiel", "Chair", "We will follow its implementation."),
            "jonas@example.org",
        ),
        "0.1",
    )
