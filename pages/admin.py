"""Administration 系统管理 (administrators only): who has which role and area, wall keys, the audit log."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from components import cached
from components.context import PageContext
from components.frame import run_from_pages_folder
from components.i18n import code_label
from components.views import audited_export, format_time, render_table
from data_access import access, audit
from data_access.city_time import DAY_SECONDS
from data_access.roles import ROLES
from data_access.schema import AUDIT_RETENTION_DAYS


def render_users(page: PageContext) -> None:
    """Users and their roles; set a role (and area) for a provider subject, or take it away."""
    t, engine = page.t, cached.get_engine()
    st.subheader(t("admin.users"))
    users = pd.DataFrame([vars(viewer) for viewer in access.read_users(engine, page.viewer)],
                         columns=["subject", "role", "area_code", "display_name"])
    users["role_label"] = [code_label(ROLES, role, page.language) for role in users["role"]]
    render_table(users, {"subject": t("admin.subject"), "display_name": t("column.name"),
                         "role_label": t("column.role"), "area_code": t("column.area")},
                 language=page.language, key="admin-users")
    with st.form("admin-set-role", clear_on_submit=True):
        subject = st.text_input(t("admin.subject"))
        role = st.selectbox(t("column.role"), list(ROLES), format_func=lambda code: code_label(ROLES, code,
                                                                                                page.language))
        area = st.text_input(t("admin.area"))
        name = st.text_input(t("column.name"))
        if st.form_submit_button(t("admin.set_role")) and subject.strip():
            try:
                access.assign_role(engine, page.viewer, subject.strip(), role, area.strip() or None,
                                   name.strip() or None)
                st.success(t("admin.saved"))
            except ValueError as error:
                st.warning(str(error))
    if len(users):
        with st.form("admin-remove"):
            gone = st.selectbox(t("admin.subject"), list(users["subject"]), key="admin-remove-subject")
            if st.form_submit_button(t("admin.remove")):
                access.remove_user(engine, page.viewer, gone)
                st.success(t("admin.saved"))


def render_wall_keys(page: PageContext) -> None:
    """Wall displays' revocable links: create one (its link shown once), revoke one."""
    t, engine = page.t, cached.get_engine()
    st.subheader(t("admin.wall_keys"))
    keys = pd.DataFrame(access.read_wall_keys(engine, page.viewer),
                        columns=["key_id", "label", "area_code", "created_at", "created_by", "revoked_at",
                                 "revoked_by"])
    keys["created"] = [format_time(value) for value in keys["created_at"]]
    keys["revoked"] = [format_time(value) for value in keys["revoked_at"]]
    render_table(keys, {"key_id": "ID", "label": t("admin.label"), "area_code": t("column.area"),
                        "created": t("admin.created"), "revoked": t("admin.revoked")},
                 language=page.language, key="admin-keys")
    with st.form("admin-create-key", clear_on_submit=True):
        label = st.text_input(t("admin.label"))
        area = st.text_input(t("admin.area"))
        if st.form_submit_button(t("admin.create_key")) and label.strip():
            try:
                token = access.create_wall_key(engine, page.viewer, label.strip(), area.strip() or None)
            except ValueError as error:
                st.warning(str(error))
            else:
                st.text(t("admin.key_once"))
                st.code(f"/?mode=wall&key={token}", language=None)
    live = keys[keys["revoked_at"].isna()]
    if len(live):
        with st.form("admin-revoke-key"):
            key_id = st.selectbox("ID", list(live["key_id"]), key="admin-revoke-id")
            if st.form_submit_button(t("admin.revoke")):
                access.revoke_wall_key(engine, page.viewer, key_id)
                st.success(t("admin.saved"))


def render_audit(page: PageContext) -> None:
    """The audit log, filtered by person, action and days back, and its export (itself audited)."""
    t, engine = page.t, cached.get_engine()
    st.subheader(t("admin.audit"))
    st.caption(t("admin.retention", days=AUDIT_RETENTION_DAYS))
    left, middle, right = st.columns(3)
    subject = left.text_input(t("admin.subject"), key="admin-audit-subject")
    actions = middle.multiselect(t("admin.actions"), list(audit.ACTIONS), key="admin-audit-actions")
    days = right.number_input(t("admin.days"), min_value=1, max_value=3660, value=30, key="admin-audit-days")
    start = int(time.time()) - int(days) * DAY_SECONDS  # the audit's own clock, not the data's
    records = audit.read_audit(engine, page.viewer, start=start, subject=subject.strip() or None,
                               actions=tuple(actions))
    records["time"] = [format_time(value, "%Y-%m-%d %H:%M:%S") for value in records["at"]]
    columns = {"time": t("admin.time"), "subject": t("admin.subject"), "role": t("column.role"),
               "action": t("admin.actions"), "page": t("admin.page"), "area_code": t("column.area"),
               "target": t("admin.target"), "reason": t("admin.reason")}
    st.dataframe(records[list(columns)].rename(columns=columns), hide_index=True, width="stretch", key="audit")
    st.download_button("CSV", lambda: audited_export(records[list(columns)].rename(columns=columns),
                                                     "audit-log.csv", action="audit_export"),
                       file_name="audit-log.csv", mime="text/csv", key="audit-csv", icon=":material/download:",
                       on_click="ignore")


def render(page: PageContext) -> None:
    """The administration page."""
    render_users(page)
    render_wall_keys(page)
    render_audit(page)



if __name__ == "__main__":  # run on its own by Streamlit's pages-folder mode: let app.py frame it
    run_from_pages_folder()
