"""Who is looking: sign-in through the city's OpenID Connect provider (st.login), or the open demo on loopback.

With no `[auth]` in secrets the app is the open demo (make run listens on loopback only) and every screen
says so; as soon as `[auth]` is configured, nothing but the sign-in page is served to someone not signed in.
A wall display signs in with its revocable key instead (`?key=`), checked again on every refresh.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from components import cached
from components.context import PageContext
from components.i18n import code_label, translate
from components.views import escape_markdown
from data_access import access, audit
from data_access.reveal import MAX_REASON_CHARS, NotInArea, reveal_caller_phone
from data_access.roles import OPEN_DEMO, OPEN_DEMO_WALL, ROLES, PersonalDataRefused, Viewer

log = logging.getLogger("cityscreen.auth")
T = TypeVar("T")
SIGNED_IN_KEY = "auth_signed_in_audited"


def sign_in_configured() -> bool:
    """True when secrets configure an identity provider (the `[auth]` section st.login reads)."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        return False


def is_open_demo(viewer: Viewer) -> bool:
    return viewer is OPEN_DEMO


def require_viewer(engine: Engine, language: str, url_paths: Sequence[str] = ()) -> Viewer:
    """The signed-in viewer; otherwise renders the sign-in or the not-registered page and stops the run.

    `url_paths` are the app's page paths: a link to one of them (/requests?area=…) opened before signing in is
    answered with the sign-in page under its own path, so the link stays in the address bar for the gate to
    bring the person back to after the provider (deploy/gate.py). `engine` is the primary, where sign-ins are
    audited; the role is read there, or from the replica while the primary is out of reach.
    """
    if not sign_in_configured():
        return OPEN_DEMO
    if not st.user.is_logged_in:
        _only(lambda: render_sign_in(language), url_paths)
    subject = str(st.user.get("sub") or "")
    try:
        viewer = cached.read_through(lambda database: access.read_viewer(database, subject), primary_first=True)
    except SQLAlchemyError:
        log.exception("reading the viewer's role failed")
        viewer = None
    if viewer is None or viewer.role == "wall":
        _audit_once(engine, Viewer(subject, "none"), "refused", "not registered")
        _only(lambda: render_not_registered(language, st.user.get("name") or subject), url_paths)
    _audit_once(engine, viewer, "sign_in", None)
    return viewer


def _only(body: Callable[[], None], url_paths: Sequence[str]) -> None:
    """Serve this one page, with no menu, under whichever of the app's paths the URL asked for; end the run."""
    paths = list(dict.fromkeys(["signin", *url_paths]))
    st.navigation([st.Page(body, title="Cityscreen", url_path=path, default=index == 0)
                   for index, path in enumerate(paths)], position="hidden").run()
    st.stop()


def wall_viewer(engine: Engine, token: str | None) -> Viewer | None:
    """The wall a key stands for (None when unknown or revoked); the open demo needs no key."""
    if not sign_in_configured():
        return OPEN_DEMO_WALL
    return access.verify_wall_key(engine, token)


def _audit_once(engine: Engine, viewer: Viewer, action: str, detail: str | None) -> None:
    """One record per browser session for a sign-in or a refusal. A primary out of reach does not stop
    aggregates being shown (they hold no personal data); the record is tried again on the next run."""
    if st.session_state.get(SIGNED_IN_KEY) == (viewer.subject, action):
        return
    try:
        audit.record(engine, viewer, action, detail=detail)
    except audit.AuditUnavailable:
        log.exception("could not audit a %s; trying again on the next run", action)
        return
    st.session_state[SIGNED_IN_KEY] = (viewer.subject, action)


def render_sign_in(language: str) -> None:
    """The only page someone not signed in is served."""
    st.title(translate("auth.title", language), anchor=False)
    st.write(translate("auth.explain", language))
    if st.button(translate("auth.sign_in", language), type="primary", key="auth-sign-in"):
        st.login()


def render_not_registered(language: str, who: str) -> None:
    """A person the provider knows but the app does not: no data, a clear message, a way out."""
    st.title(translate("auth.title", language), anchor=False)
    st.warning(escape_markdown(translate("auth.not_registered", language, who=who)))
    if st.button(translate("auth.sign_out", language), key="auth-sign-out-unknown"):
        st.logout()


def render_account(viewer: Viewer, language: str) -> None:
    """The sidebar's line on who is signed in, in which role and area, and the sign-out button."""
    if is_open_demo(viewer):
        st.sidebar.caption(translate("auth.open_demo", language))
        return
    role = code_label(ROLES, viewer.role, language)
    # Names come from the provider and the database: shown as text, never as Markdown.
    st.sidebar.caption(escape_markdown(translate(
        "auth.signed_in_as", language, who=viewer.display_name or viewer.subject, role=role,
        area=viewer.area_code or translate("auth.whole_city", language))))
    if st.sidebar.button(translate("auth.sign_out", language), key="auth-sign-out"):
        st.logout()


def render_outside_area(viewer: Viewer, area_code: str, language: str, page: str) -> None:
    """The plain state a URL, filter or export for another area gets; the refusal is audited."""
    try:
        audit.record(cached.get_engine(), viewer, "refused", page=page, area_code=area_code, detail="outside area")
    except audit.AuditUnavailable:
        log.exception("could not audit a refusal")
    st.warning(translate("auth.outside_area", language), icon=":material/block:")


def render_reveal(viewer: Viewer, language: str, page: str) -> None:
    """A case handler's form: one order's caller number, with a reason; shown for this run only, audited."""
    with st.expander(translate("reveal.title", language), icon=":material/visibility:"):
        with st.form("reveal-form", clear_on_submit=True):
            order_no = st.text_input(translate("reveal.order", language))
            reason = st.text_area(translate("reveal.reason", language), max_chars=MAX_REASON_CHARS)
            asked = st.form_submit_button(translate("reveal.submit", language))
        if not asked:
            return
        try:
            phone = reveal_caller_phone(cached.get_engine(), viewer, order_no, reason, page=page)
        except NotInArea:
            st.warning(translate("order.not_in_area", language))
            return
        except ValueError:
            st.warning(translate("reveal.need_reason", language))
            return
        except Exception:  # the audit record could not be written: nothing is revealed
            log.exception("reveal failed")
            st.error(translate("reveal.failed", language))
            return
        # Kept nowhere: the next interaction with the page takes it away.
        st.text(translate("reveal.shown", language, order=order_no.strip(), phone=phone or "—"))


def load_personal(page: PageContext, page_name: str, load: Callable[[], T]) -> T | None:
    """Personal data for a page (masked names and numbers, requests, citizens' words), or None after saying
    "aggregates only". data_access decides (the scope carries what the viewer's role may read, and the read
    refuses); the view is audited once per page and area in a session before it is shown, and not shown when
    the record cannot be written."""
    try:
        found = load()
    except PersonalDataRefused:
        st.caption(translate("auth.aggregates_only", page.language))
        return None
    seen = st.session_state.setdefault("audited_views", set())
    if (page_name, page.scope.code) not in seen:
        try:
            audit.record(cached.get_engine(), page.viewer, "view_personal", page=page_name,
                         area_code=page.scope.code)
        except audit.AuditUnavailable:
            log.exception("could not audit a view of personal data; not showing it")
            st.caption(translate("auth.aggregates_only", page.language))
            return None
        seen.add((page_name, page.scope.code))
    return found
