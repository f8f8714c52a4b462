"""The roles, what each may see, and the viewer every query is asked on behalf of."""

from __future__ import annotations

from dataclasses import dataclass

from data_access.codes import level_of_code
from data_access.scope import (
    AGGREGATES,
    CITIZEN_TEXT,
    MASKED_PERSONAL,
    AreaScope,
    OutsideArea,
    PersonalDataRefused,
    inside,
)

# Labels are (Chinese, English), as in data_access.codes.
ROLES: dict[str, tuple[str, str]] = {
    "leader": ("领导", "Leader"),
    "staff": ("区域工作人员", "Area staff"),
    "case_handler": ("承办人员", "Case handler"),
    "guest": ("来宾", "Guest"),
    "wall": ("大屏", "Wall display"),
    "admin": ("管理员", "Administrator"),
}
# Roles that must name the area they work in; the others see the whole city.
AREA_ROLES = ("staff", "case_handler")
# What each role may read about people: the one place that says it. Every scope a viewer makes carries it, and
# data_access's reads of people, requests and citizens' words refuse or withhold by it (scope.PERSONAL_LEVELS).
PERSONAL_DATA = {
    "leader": MASKED_PERSONAL,
    "staff": MASKED_PERSONAL,
    "case_handler": MASKED_PERSONAL,
    "admin": MASKED_PERSONAL,
    "wall": CITIZEN_TEXT,  # the ticker's titles (numbers masked), never a name or a phone number
    "guest": AGGREGATES,  # the tour and aggregate figures: no names or numbers even masked, no citizen's words
}


class AccessDenied(Exception):
    """The viewer may not see this (a page outside the role, no role at all)."""


@dataclass(frozen=True)
class Viewer:
    """A signed-in person (or a wall key) as the app knows them: role and the area they may see (None = city)."""

    subject: str
    role: str
    area_code: str | None = None
    display_name: str | None = None

    @property
    def personal(self) -> str:
        """What this viewer may read about people (aggregates only for a role the app does not know)."""
        return PERSONAL_DATA.get(self.role, AGGREGATES)

    @property
    def may_reveal(self) -> bool:
        """May reveal one caller's phone number on one order in their area, with a reason (audited)."""
        return self.role == "case_handler"

    def allows(self, area_code: str | None) -> bool:
        """True when the area (None = whole city) lies inside the viewer's own area."""
        return inside(area_code, self.area_code)

    def scope(self, area_code: str | None = None) -> AreaScope:
        """The scope of an area for this viewer (their own area when none is named); OutsideArea beyond it. It
        carries the viewer's area and what they may read about people into every query."""
        return AreaScope.of(area_code, self.area_code, self.personal)

    def scope_from_text(self, text: str | None) -> AreaScope:
        """The scope named by untrusted text (a URL parameter) for this viewer (AreaScope.from_text)."""
        return AreaScope.from_text(text, self.area_code, self.personal)


# Who looks at the open demo (no identity provider configured, loopback only): a leader's view, personal data masked.
OPEN_DEMO = Viewer("open-demo", "leader", None, "open demo")
# The open demo's wall: a wall like any other (no name or phone number is even read).
OPEN_DEMO_WALL = Viewer("open-demo", "wall", None, "open demo")


def require_admin(by: Viewer) -> None:
    """AccessDenied unless `by` is an administrator: who manages roles and wall keys and reads the audit log."""
    if by.role != "admin":
        raise AccessDenied(f"role {by.role} may not manage roles or wall keys or read the audit log")


def check_role(role: str, area_code: str | None) -> None:
    """ValueError unless the role exists and has an area exactly when it needs one."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose from {', '.join(ROLES)}")
    if role in AREA_ROLES and not area_code:
        raise ValueError(f"role {role} needs an area (a district, street or community code)")
    if area_code:
        level = level_of_code(area_code)
        if role not in AREA_ROLES and role != "wall":
            raise ValueError(f"role {role} sees the whole city; it takes no area")
        if level == "grid" and role in AREA_ROLES:
            raise ValueError("area staff work in a district, street or community, not a single grid")


__all__ = ["AREA_ROLES", "OPEN_DEMO", "OPEN_DEMO_WALL", "PERSONAL_DATA", "ROLES", "AccessDenied", "OutsideArea",
           "PersonalDataRefused", "Viewer", "check_role", "require_admin"]
