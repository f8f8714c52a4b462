"""A case handler reveals one caller's phone number on one order in their area, with a stated reason.

The reveal and its audit record are one transaction: when the record cannot be written, the number is not
read. Nothing is cached or kept; the page shows the number for that run only.
"""

from __future__ import annotations

from sqlalchemy import Engine, select

from data_access import audit
from data_access.roles import AccessDenied, Viewer
from data_access.schema import work_orders

MIN_REASON_CHARS = 4
MAX_REASON_CHARS = 500


class NotInArea(LookupError):
    """No such order in the viewer's area."""


def reveal_caller_phone(engine: Engine, viewer: Viewer, order_no: str, reason: str, page: str | None = None) -> str:
    """The caller's full phone number of one order (empty text when the order has none); audited with the reason."""
    if not viewer.may_reveal:
        raise AccessDenied(f"role {viewer.role} may not reveal callers' numbers")
    reason = (reason or "").strip()
    if not MIN_REASON_CHARS <= len(reason) <= MAX_REASON_CHARS:
        raise ValueError(f"state the reason in {MIN_REASON_CHARS} to {MAX_REASON_CHARS} characters")
    scope = viewer.scope()
    with engine.begin() as connection:
        row = connection.execute(select(work_orders.c.caller_phone, work_orders.c.grid_code)
                                 .where(work_orders.c.order_no == order_no.strip(),
                                        *scope.condition(work_orders))).first()
        if row is None:
            raise NotInArea(f"order {order_no!r} is not in your area")
        audit.record_in(connection, viewer, "reveal", page=page, area_code=row.grid_code, target=order_no.strip(),
                        reason=reason)
    return row.caller_phone or ""
