"""The demo charter's comments: what members said about its clauses, as a first visitor should
find them: words of a clause commented on, a thread with replies and reactions, a comment the
secretariat hid (with its reason) and a thread its author resolved.

Seeded once, with the charter and after its history, through the same operations members use.
"""

from __future__ import annotations

from typing import Any

from pycrdt import Doc
from sqlalchemy.ext.asyncio import AsyncSession

from charter_drafts.deliberation.comments import (
    AnchorRange,
    change_comment,
    hide_comment,
    post_comment,
    react,
)
from charter_drafts.deliberation.merge import clause_text
from charter_drafts.deliberation.models import CommentStatus, Reaction
from charter_drafts.demo.history import member_by_email
from charter_drafts.document.schema import load_document
from charter_drafts.document.update_log import load_state
from charter_drafts.models import Charter
from charter_drafts.permissions import Member

MAX_CHARS = 10_000


def _on_words(doc: Doc[Any], key: str, words: str) -> AnchorRange:
    """An anchor on the first ``words`` of a clause's body, in UTF-16 units as browsers count."""
    body = clause_text(doc, key, "body") or ""
    if words not in body:
        raise ValueError(f"the demo clause {key} does not say {words!r}")
    start = len(body[: body.index(words)].encode("utf-16-le")) // 2
    return AnchorRange("body", start, start + len(words.encode("utf-16-le")) // 2)


async def seed_comments(session: AsyncSession, charter: Charter) -> None:
    assert charter.id is not None
    doc = load_document((await load_state(session, charter.id)).updates)
    secretariat = await member_by_email(session, charter.id, "secretariat@example.org")
    elena = await member_by_email(session, charter.id, "editor@example.org")
    edouard = await member_by_email(session, charter.id, "editor2@example.org")
    chiara = await member_by_email(session, charter.id, "commenter@example.org")

    async def say(
        who: Member,
        clause: str,
        body: str,
        *,
        reply_to: int | None = None,
        anchor: AnchorRange | None = None,
    ) -> int:
        comment = await post_comment(
            session,
            who,
            charter,
            doc,
            clause=clause,
            body=body,
            reply_to=reply_to,
            anchor=anchor,
            max_chars=MAX_CHARS,
        )
        assert comment.id is not None
        return comment.id

    # Words of a clause: papers should never decide who is protected.
    papers = await say(
        chiara,
        "dignity-rights",
        "Many people we accompany wait years for a decision on their papers. Could the text "
        "say plainly that access to **shelter, health care and schooling** never depends on "
        "them?",
        anchor=_on_words(doc, "dignity-rights", "whatever their administrative status"),
    )
    await react(session, elena, charter, papers, Reaction.agree)
    await react(session, edouard, charter, papers, Reaction.agree)

    # A thread with replies: how cities remember those lost on the way.
    memory = await say(
        edouard,
        "collective-memory",
        "In Marseille the families asked to be part of the design of the memorial, not only "
        "invited to its opening. Should the clause mention the families' own role?",
    )
    await say(
        chiara,
        "collective-memory",
        "Yes: associations of relatives in Tunisia and Senegal have asked for exactly this.",
        reply_to=memory,
    )
    await say(
        elena,
        "collective-memory",
        "Lampedusa's archive works with the families already; I will propose wording for the "
        "second paragraph.",
        reply_to=memory,
    )
    await react(session, chiara, charter, memory, Reaction.agree)

    # Hidden by the secretariat, with its reason (the author and the report keep its words).
    hidden = await say(
        chiara,
        "balanced-narratives",
        "A journalist's private phone number, posted here so members can call them about "
        "their last article: +00 000 000 000.",
    )
    await hide_comment(
        session,
        secretariat,
        charter,
        hidden,
        "It gave a person's private contact details; write to the secretariat instead.",
    )

    # Resolved by its author once answered.
    budget = await say(
        elena,
        "participation",
        "Does *participatory budgeting* here include residents who cannot vote locally yet?",
    )
    await say(
        secretariat,
        "participation",
        "It does: every resident takes part, whatever their nationality. The working group "
        "agreed this at its last meeting.",
        reply_to=budget,
    )
    await change_comment(
        session,
        elena,
        charter,
        budget,
        body=None,
        status=CommentStatus.resolved,
        max_chars=MAX_CHARS,
    )
