"""The roles, what each may see, and the viewer every query is asked on behalf of."""

from __future__ import annotations

from dataclasses import dataclass

from data_access.codes import level_of_code
from data_access.scope import AreaScope, OutsideArea, inside

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
# Roles that see masked names and phone numbers and citizens' free text; a guest sees aggregates only.
PERSONAL_DATA_ROLES = ("leader", "staff", "case_handler", "admin")


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
    def sees_personal_data(self) -> bool:
        """Masked names and phone numbers, and citizens' free text (never for guests or walls)."""
        return self.role in PERSONAL_DATA_ROLES

    @property
    def may_reveal(self) -> bool:
        """May reveal one caller's phone number on one order in their area, with a reason (audited)."""
        return self.role == "case_handler"

    def allows(self, area_code: str | None) -> bool:
        """True when the area (None = whole city) lies inside the viewer's own area."""
        return inside(area_code, self.area_code)

    def scope(self, area_code: str | None = None) -> AreaScope:
        """The scope of an area for this viewer (their own area when none is named); OutsideArea beyond it."""
        return AreaScope.of(area_code, self.area_code)


# Who looks at the open demo (no identity provider configured, loopback only): a leader's view, personal data masked.
OPEN_DEMO = Viewer("open-demo", "leader", None, "open demo")


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


__all__ = ["AREA_ROLES", "OPEN_DEMO", "PERSONAL_DATA_ROLES", "ROLES", "AccessDenied", "OutsideArea", "Viewer",
           "check_role"]
