"""The site administrators' accounts page: find an account by name or e-mail, deactivate it with
a reason (it is signed out everywhere, its API tokens revoked, its live documents closed) or
reactivate it. Plain HTML forms, no JavaScript needed; the same rules as the JSON API."""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from charter_drafts.errors import DomainError
from charter_drafts.people.accounts import MAX_REASON, get_user
from charter_drafts.people.directory import Account, find_accounts
from server.callers.language import language_of
from server.web.i18n import translate
from server.web.pages import page
from server.web.routes.accounts import (
    account_target,
    deactivate_account,
    reactivate_account,
    site_administrator,
)
from server.web.routes.context import Call, call
from server.web.security import check_form_csrf, csrf_token

PATH = "/accounts"
MAX_FORM = 16 * 1024


def _t(request: Request, key: str, **values: object) -> str:
    message = translate(language_of(request), key)
    return escape(message.format(**values) if values else message)


async def accounts_page(request: Request) -> Response:
    async with call(request) as c:
        if c.caller is None:
            return RedirectResponse(f"/sign-in?next={PATH}", status_code=303)
        return await _render(request, c, request.query_params.get("q", ""))


async def _render(
    request: Request, c: Call, search: str, error: str = "", status: int = 200
) -> Response:
    site_administrator(c)  # only they may see the accounts
    accounts, total = await find_accounts(c.session, search)
    done = await _done(request, c)
    alert = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    notice = f'<p role="status">{done}</p>' if done else '<p role="status"></p>'
    found = _t(request, "accounts.count", count=total)
    if total > len(accounts):
        found = _t(request, "accounts.first", shown=len(accounts), count=total)
    rows = "".join(_row(request, c, account, search) for account in accounts)
    table = (
        f'<table class="accounts"><caption>{found}</caption><thead><tr>'
        f'<th scope="col">{_t(request, "accounts.name")}</th>'
        f'<th scope="col">{_t(request, "accounts.email")}</th>'
        f'<th scope="col">{_t(request, "accounts.state")}</th>'
        f'<th scope="col">{_t(request, "accounts.action")}</th>'
        f"</tr></thead><tbody>{rows}</tbody></table>"
        if accounts
        else f"<p>{_t(request, 'accounts.none')}</p>"
    )
    title = translate(language_of(request), "accounts.title")
    main = (
        f'<main class="accounts"><h1>{escape(title)}</h1>'
        f"<p>{_t(request, 'accounts.help')}</p>{alert}{notice}"
        f'<form method="get" action="{PATH}" class="inline search" role="search">'
        f'<label for="q">{_t(request, "accounts.search")}</label>'
        f'<input id="q" name="q" type="search" value="{escape(search)}">'
        f'<button type="submit">{_t(request, "accounts.find")}</button></form>{table}</main>'
    )
    return HTMLResponse(page(request, title, main, caller=c.caller), status_code=status)


async def _done(request: Request, c: Call) -> str:
    """What the previous form did, said after its redirect back here."""
    done = request.query_params.get("done")
    raw = request.query_params.get("id", "")
    if done not in ("deactivated", "reactivated") or not raw.isdigit() or len(raw) > 18:
        return ""
    try:
        user = await get_user(c.session, int(raw))
    except DomainError:
        return ""
    if done == "reactivated":
        return _t(request, "accounts.done_reactivated", name=user.display_name)
    tokens = request.query_params.get("tokens", "0")
    count = int(tokens) if tokens.isdigit() and len(tokens) < 10 else 0
    key = "accounts.done_deactivated" + (f".{count}" if count < 2 else "")
    return _t(request, key, name=user.display_name, count=count)


def _row(request: Request, c: Call, account: Account, search: str) -> str:
    state = _t(request, "accounts.active")
    if account.deactivation is not None:
        d = account.deactivation
        when = f'<time datetime="{d.at.isoformat()}">{d.at:%Y-%m-%d %H:%M}</time>'
        by = escape(d.by) if d.by else _t(request, "accounts.command_line")
        state = _t(request, "accounts.deactivated_on").format(when=when, by=by)
        state += f'<q class="reason">{escape(d.reason)}</q>' if d.reason else ""
    elif not account.active:
        state = _t(request, "accounts.deactivated")
    if account.site_admin:
        state += f' <span class="badge">{_t(request, "accounts.site_admin")}</span>'
    action = _action(request, c, account, search)
    return (
        f'<tr id="account-{account.id}" data-account="{account.id}">'
        f'<th scope="row">{escape(account.display_name)}</th><td>{escape(account.email)}</td>'
        f"<td>{state}</td><td>{action}</td></tr>"
    )


def _action(request: Request, c: Call, account: Account, search: str) -> str:
    if c.caller is not None and c.caller.user.id == account.id:
        return _t(request, "accounts.you")  # an administrator cannot deactivate themselves
    field = f"reason-{account.id}"
    act, label, required = (
        ("deactivate", "accounts.reason", " required")
        if account.active
        else ("reactivate", "accounts.reason_optional", "")
    )
    return (
        f'<form method="post" action="{PATH}/{account.id}/{act}" class="inline {act}">'
        f'<input type="hidden" name="csrf" value="{escape(csrf_token(request))}">'
        f'<input type="hidden" name="q" value="{escape(search)}">'
        f'<label for="{field}">{_t(request, label)}</label>'
        f'<input id="{field}" name="reason" maxlength="{MAX_REASON}"{required}>'
        f'<button type="submit">{_t(request, "accounts." + act)}</button></form>'
    )


async def act(request: Request) -> Response:
    """Deactivate or reactivate one account, from the page's form; back to the page."""
    form = await request.form(max_files=0, max_fields=10, max_part_size=MAX_FORM)
    check_form_csrf(request, form.get("csrf"))
    search, reason = str(form.get("q", "")), str(form.get("reason", ""))
    deactivating = request.url.path.endswith("/deactivate")
    async with call(request) as c:
        actor_id, user = await account_target(c, request)
        try:
            if deactivating:
                tokens = await deactivate_account(c, actor_id, user, reason)
            else:
                await reactivate_account(c, actor_id, user, reason)
                tokens = 0
        except DomainError as error:
            if error.status >= 500:
                raise
            # Refused before anything changed (the session closes unused): the page again.
            message = error.text.render(language_of(request))
            message = message[:1].upper() + message[1:]
            return await _render(request, c, search, message, error.status)
    done = {"done": "deactivated" if deactivating else "reactivated", "id": user.id}
    if deactivating:
        done["tokens"] = tokens
    query = urlencode({**({"q": search} if search else {}), **done})
    return RedirectResponse(f"{PATH}?{query}#account-{user.id}", status_code=303)


routes = [
    Route(PATH, accounts_page, methods=["GET"]),
    Route(PATH + "/{user_id:id}/deactivate", act, methods=["POST"]),
    Route(PATH + "/{user_id:id}/reactivate", act, methods=["POST"]),
]
