"""HTML forms that work without JavaScript: sign in, sign out, accept an invitation."""

from __future__ import annotations

from html import escape
from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from charter_drafts.errors import DomainError
from charter_drafts.models import Charter
from charter_drafts.people.invitations import accept_invitation, open_invitation
from server.callers.language import language_of
from server.web.i18n import translate
from server.web.pages import page
from server.web.routes.context import call, services_of
from server.web.routes.session import sign_in_user, start_session
from server.web.security import CLEAR_BROWSER_COPIES, check_form_csrf, csrf_token

MAX_FORM = 16 * 1024


def _next(value: object) -> str:
    """Only a local path: never redirect to another site after signing in."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//"):
        parts = urlsplit(value)
        if not parts.scheme and not parts.netloc:
            return value
    return "/"


def _translated(request: Request, error: DomainError) -> str:
    """A refusal in the page's language, as a sentence (the domain's messages start in lower
    case, to be quoted within others)."""
    message = error.text.render(language_of(request))
    return message[:1].upper() + message[1:]


def _field(request: Request, name: str, label: str, kind: str = "text", value: str = "") -> str:
    return (
        f'<label for="{name}">{escape(label)}</label>'
        f'<input id="{name}" name="{name}" type="{kind}" value="{escape(value)}" required>'
    )


def _form(request: Request, action: str, fields: str, submit: str, error: str = "") -> str:
    alert = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return (
        f'{alert}<form method="post" action="{escape(action)}" class="stacked">'
        f'<input type="hidden" name="csrf" value="{escape(csrf_token(request))}">'
        f'{fields}<button type="submit">{escape(submit)}</button></form>'
    )


def sign_in_page(request: Request, error: str = "", email: str = "", status: int = 200) -> Response:
    t = language_of(request)
    target = _next(request.query_params.get("next"))
    fields = _field(request, "email", translate(t, "email"), "email", email) + _field(
        request, "password", translate(t, "password"), "password"
    )
    title = translate(t, "sign_in")
    form = _form(request, f"/sign-in?next={quote(target, safe='/')}", fields, title, error)
    main = f'<main class="narrow"><h1>{escape(title)}</h1>{form}</main>'
    return HTMLResponse(page(request, title, main), status_code=status)


async def sign_in_form(request: Request) -> Response:
    return sign_in_page(request)


async def sign_in(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=10, max_part_size=MAX_FORM)
    email = str(form.get("email", ""))
    try:
        check_form_csrf(request, form.get("csrf"))
        user = await sign_in_user(
            services_of(request), request, email, str(form.get("password", ""))
        )
    except DomainError as error:
        return sign_in_page(request, _translated(request, error), email, status=error.status)
    start_session(request, user)
    return RedirectResponse(_next(request.query_params.get("next")), status_code=303)


async def sign_out(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=5, max_part_size=MAX_FORM)
    check_form_csrf(request, form.get("csrf"))
    request.session.clear()
    return RedirectResponse("/", status_code=303, headers=CLEAR_BROWSER_COPIES)


async def invitation_page(request: Request, error: str = "", status: int = 200) -> Response:
    t = language_of(request)
    secret = request.path_params["secret"]
    async with call(request) as c:
        invitation = await open_invitation(c.session, secret)
    title = translate(t, "join")
    intro = translate(t, "invited_as").format(
        email=invitation.email, role=translate(t, "role." + invitation.role)
    )
    fields = _field(request, "display_name", translate(t, "display_name")) + _field(
        request, "password", translate(t, "choose_password"), "password"
    )
    form = _form(request, f"/invitations/{secret}", fields, title, error)
    main = f'<main class="narrow"><h1>{escape(title)}</h1><p>{escape(intro)}</p>{form}</main>'
    return HTMLResponse(page(request, title, main), status_code=status)


async def accept(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=10, max_part_size=MAX_FORM)
    try:
        check_form_csrf(request, form.get("csrf"))
        async with services_of(request).sessions() as session:
            user, membership = await accept_invitation(
                session,
                request.path_params["secret"],
                str(form.get("display_name", "")),
                str(form.get("password", "")),
            )
            await session.commit()
            charter = await session.get(Charter, membership.charter_id)
    except DomainError as error:
        if error.status in (404, 410):
            raise
        message = error.text.render(language_of(request))
        return await invitation_page(request, message, status=error.status)
    start_session(request, user)
    return RedirectResponse(f"/charters/{charter.slug if charter else ''}", status_code=303)


routes = [
    Route("/sign-in", sign_in_form, methods=["GET"]),
    Route("/sign-in", sign_in, methods=["POST"]),
    Route("/sign-out", sign_out, methods=["POST"]),
    Route("/invitations/{secret}", invitation_page, methods=["GET"], name="invitation_page"),
    Route("/invitations/{secret}", accept, methods=["POST"]),
]
