"""Who may do what: the one place the rules live, for the HTTP API and the live socket alike.

``can(member, action, target)`` answers; ``require`` raises the refusal the server renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from charter_drafts.errors import Forbidden, Unauthenticated
from charter_drafts.models import Phase, Role
from charter_drafts.texts import Text, text


class Action(StrEnum):
    read_draft = "read_draft"  # the live text, its clauses, the member list's names
    edit_text = "edit_text"  # a clause's title and body, live
    change_structure = "change_structure"  # add, remove, reorder clauses; their kind
    freeze_clause = "freeze_clause"
    change_phase = "change_phase"
    manage_members = "manage_members"  # members, invitations, everyone's tokens
    read_audit = "read_audit"
    create_charter = "create_charter"  # site administrators
    comment = "comment"  # comment, reply, react, report; propose and support amendments
    decide_amendment = "decide_amendment"  # accept or reject
    moderate = "moderate"  # hide a comment
    read_report = "read_report"  # the consultation report: every comment and amendment
    publish = "publish"  # a numbered version, in any phase
    endorse = "endorse"  # a published version, for one's organisation; withdraw, re-confirm
    manage_endorsements = "manage_endorsements"  # verify or reject public requests; the counts
    restore_revision = "restore_revision"  # bring an earlier revision of a clause back, live
    manage_accounts = "manage_accounts"  # deactivate and reactivate accounts (site administrators)


@dataclass(frozen=True, slots=True)
class Member:
    """Someone acting on one charter: their role there (None if they have none)."""

    user_id: int
    role: Role | None
    site_admin: bool = False
    organisation_id: int | None = None


@dataclass(frozen=True, slots=True)
class CharterTarget:
    phase: Phase


@dataclass(frozen=True, slots=True)
class ClauseTarget:
    phase: Phase
    frozen: bool


@dataclass(frozen=True, slots=True)
class AccountTarget:
    """A user account, as a whole (not one charter's membership)."""

    user_id: int


Target = CharterTarget | ClauseTarget | AccountTarget | None

ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.secretariat: frozenset(
        {
            Action.read_draft,
            Action.edit_text,
            Action.change_structure,
            Action.freeze_clause,
            Action.change_phase,
            Action.manage_members,
            Action.read_audit,
            Action.comment,
            Action.decide_amendment,
            Action.moderate,
            Action.read_report,
            Action.publish,
            Action.endorse,
            Action.manage_endorsements,
            Action.restore_revision,
        }
    ),
    Role.editor: frozenset(
        {
            Action.read_draft,
            Action.edit_text,
            Action.change_structure,
            Action.comment,
            Action.endorse,
        }
    ),
    Role.commenter: frozenset({Action.read_draft, Action.comment, Action.endorse}),
    Role.observer: frozenset({Action.read_draft}),
}

# A site administrator creates charters and appoints their secretariat, on any charter.
#
# Only a site administrator deactivates or reactivates an account. A deactivation is of the
# account, on every charter at once (sign-in, sessions, tokens, open documents and streams): no
# charter's secretariat may decide that for the other charters the person belongs to, and a
# secretariat that wants someone out of its own charter removes them from it (manage_members),
# which closes their live documents there already. A site administrator may not deactivate
# their own account (another administrator or the command line may), so a slip cannot lock out
# the only one.
SITE_ADMIN_ACTIONS = frozenset(
    {Action.create_charter, Action.manage_members, Action.read_audit, Action.manage_accounts}
)


def can(member: Member | None, action: Action, target: Target = None) -> bool:
    if member is None:
        return False
    allowed = member.site_admin and action in SITE_ADMIN_ACTIONS
    if member.role is not None and action in ROLE_ACTIONS[member.role]:
        allowed = True
    if not allowed:
        return False
    if action is Action.manage_accounts:
        return isinstance(target, AccountTarget | None) and not (
            isinstance(target, AccountTarget) and target.user_id == member.user_id
        )
    phase = target.phase if isinstance(target, CharterTarget | ClauseTarget) else None
    if action is Action.edit_text:
        # The text is live only while drafting; a frozen clause is read-only for everyone.
        return phase is Phase.drafting and not (isinstance(target, ClauseTarget) and target.frozen)
    if action is Action.change_structure:
        if member.role is Role.secretariat:
            return phase is not Phase.closed
        return phase is Phase.drafting
    if action in (Action.comment, Action.decide_amendment, Action.restore_revision):
        # Deliberation is open while drafting and in consultation; nobody writes once closed.
        # Given a frozen clause, refused: amendments pass their clause (a frozen text takes no
        # change), comments pass the charter (a frozen clause still takes comments). Restoring a
        # revision changes the text as accepting an amendment does, under the same rules.
        return phase is not Phase.closed and not (
            isinstance(target, ClauseTarget) and target.frozen
        )
    return True


def require(member: Member | None, action: Action, target: Target = None) -> None:
    """Raise ``Unauthenticated`` for no one, ``Forbidden`` for someone not allowed."""
    if can(member, action, target):
        return
    if member is None:
        raise Unauthenticated("sign in, or send an API token, to do this")
    raise Forbidden(refusal_reason(member, action, target))


def refusal_reason(member: Member, action: Action, target: Target = None) -> Text:
    if action is Action.manage_accounts:
        if member.site_admin:
            return Text("you may not deactivate or reactivate your own account")
        return Text("only a site administrator may deactivate or reactivate an account")
    if member.role is None and not member.site_admin:
        return Text("you are not a member of this charter")
    phase = PHASE_NAMES[target.phase] if isinstance(target, CharterTarget | ClauseTarget) else None
    if action is Action.edit_text and member.role in (Role.secretariat, Role.editor):
        if isinstance(target, ClauseTarget) and target.frozen:
            return FROZEN
        return text("the text is read-only in the {phase} phase", phase=phase)
    if action is Action.change_structure and member.role in (Role.secretariat, Role.editor):
        return text("the clause structure cannot change in the {phase} phase", phase=phase)
    deliberating = (Action.comment, Action.decide_amendment, Action.restore_revision)
    if action in deliberating and action in ROLE_ACTIONS.get(
        member.role or Role.observer, frozenset()
    ):
        if isinstance(target, ClauseTarget) and target.frozen:
            return FROZEN
        return text("deliberation is closed in the {phase} phase", phase=phase)
    role = ROLE_NAMES[member.role] if member.role else Text("a site administrator")
    return text("{role} may not {action}", role=role, action=ACTION_NAMES[action])


FROZEN = Text("this clause is frozen")
PHASE_NAMES = {
    Phase.drafting: Text("drafting"),
    Phase.consultation: Text("consultation"),
    Phase.closed: Text("closed"),
}
ROLE_NAMES = {
    Role.secretariat: Text("a secretariat"),
    Role.editor: Text("an editor"),
    Role.commenter: Text("a commenter"),
    Role.observer: Text("an observer"),
}
ACTION_NAMES = {
    Action.read_draft: Text("read draft"),
    Action.edit_text: Text("edit text"),
    Action.change_structure: Text("change structure"),
    Action.freeze_clause: Text("freeze clause"),
    Action.change_phase: Text("change phase"),
    Action.manage_members: Text("manage members"),
    Action.read_audit: Text("read audit"),
    Action.create_charter: Text("create charter"),
    Action.comment: Text("comment or propose amendments"),
    Action.decide_amendment: Text("decide on amendments"),
    Action.moderate: Text("moderate comments"),
    Action.read_report: Text("read the consultation report"),
    Action.publish: Text("publish a version"),
    Action.endorse: Text("endorse"),
    Action.manage_endorsements: Text("manage endorsements"),
    Action.restore_revision: Text("restore revisions"),
    Action.manage_accounts: Text("deactivate or reactivate accounts"),
}
