"""Who may deactivate or reactivate an account: the rule in ``can()`` itself."""

from __future__ import annotations

import pytest

from charter_drafts.errors import Forbidden, Unauthenticated
from charter_drafts.models import Role
from charter_drafts.permissions import AccountTarget, Action, Member, can, require

ADMIN = Member(1, None, site_admin=True)
OTHER = AccountTarget(2)


def test_a_site_administrator_may_deactivate_others_but_not_themselves() -> None:
    assert can(ADMIN, Action.manage_accounts, OTHER)
    assert can(ADMIN, Action.manage_accounts)  # before the account is looked up
    assert can(Member(1, Role.secretariat, site_admin=True), Action.manage_accounts, OTHER)
    assert not can(ADMIN, Action.manage_accounts, AccountTarget(1))
    with pytest.raises(Forbidden) as refused:
        require(ADMIN, Action.manage_accounts, AccountTarget(1))
    assert refused.value.text.render("fr") == (
        "vous ne pouvez pas désactiver ni réactiver votre propre compte"
    )


@pytest.mark.parametrize("role", [*Role, None])
def test_no_charter_role_may_deactivate(role: Role | None) -> None:
    member = Member(3, role)
    assert not can(member, Action.manage_accounts, OTHER)
    assert not can(member, Action.manage_accounts)
    with pytest.raises(Forbidden) as refused:
        require(member, Action.manage_accounts, OTHER)
    assert str(refused.value.text) == (
        "only a site administrator may deactivate or reactivate an account"
    )
    with pytest.raises(Unauthenticated):
        require(None, Action.manage_accounts, OTHER)
