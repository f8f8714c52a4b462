"""The area a view is about (city, district, street, community or grid): one value, one SQL condition."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, Table

from data_access import schema
from data_access.codes import AREA_LEVELS, CHILD_LEVEL, LEVEL_BY_CODE_LENGTH, PARENT_LEVEL, level_of_code

CITY_LEVEL = "city"

# What a scope's viewer may read about people, least first (data_access.roles says which role gets which).
AGGREGATES = "aggregates"  # figures only: no list of people or of requests, no citizen's words (guests)
CITIZEN_TEXT = "citizen_text"  # requests and citizens' words, numbers in them masked; no names or phones (walls)
MASKED_PERSONAL = "masked_personal"  # and names and phone numbers, masked (leaders, staff, case handlers, admins)
PERSONAL_LEVELS = (AGGREGATES, CITIZEN_TEXT, MASKED_PERSONAL)


class OutsideArea(Exception):
    """The area asked for lies outside the area its viewer may see."""


class PersonalDataRefused(Exception):
    """A read of personal data (people, requests, citizens' words) for a viewer whose role may not see it."""


def inside(code: str | None, area: str | None) -> bool:
    """True when the area `code` (None: the whole city) lies inside `area` (None: the whole city)."""
    return area is None or (code is not None and code.startswith(area))


@dataclass(frozen=True)
class AreaScope:
    """An area of the grid system; `code` None is the whole city. Build it with `of` or `from_text`.

    `granted` is the area its viewer may see (None: the whole city, for leaders, guests, the command line): a
    scope outside it cannot be made, so no query of data_access can read outside a signed-in viewer's area.
    `personal` is what its viewer may read about people (one of PERSONAL_LEVELS; aggregates only unless a
    viewer's role grants more, data_access.roles.Viewer.scope): the reads that return people, requests or
    citizens' words refuse or withhold for a scope without it. Every scope derived from one (parent, capped,
    dataclasses.replace) keeps both grants.
    """

    code: str | None = None
    granted: str | None = None
    personal: str = AGGREGATES

    def __post_init__(self) -> None:
        for code in (self.code, self.granted):
            if code is not None:
                level_of_code(code)  # raises ValueError for anything but a 6/9/12/15-digit code
        if not inside(self.code, self.granted):
            raise OutsideArea(f"{self.code or 'the whole city'} lies outside {self.granted}")
        if self.personal not in PERSONAL_LEVELS:
            raise ValueError(f"unknown personal-data level {self.personal!r}")

    @classmethod
    def of(cls, code: str | None, granted: str | None = None, personal: str = AGGREGATES) -> AreaScope:
        """The scope of an area code ('' or None: the whole granted area, the city for no grant); ValueError for
        a malformed code, OutsideArea for one outside `granted`."""
        return cls(code or granted or None, granted or None, personal)

    @classmethod
    def from_text(cls, text: str | None, granted: str | None = None, personal: str = AGGREGATES) -> AreaScope:
        """The scope named by untrusted text (a URL parameter): the granted area when it is not an area code
        (OutsideArea when it is one outside the grant)."""
        try:
            return cls.of(text, granted, personal)
        except OutsideArea:
            raise
        except ValueError:
            return cls.of(granted, granted, personal)

    def may_read(self, level: str) -> bool:
        """True when this scope's viewer may read personal data of `level` (a PERSONAL_LEVELS value)."""
        return PERSONAL_LEVELS.index(self.personal) >= PERSONAL_LEVELS.index(level)

    def require(self, level: str) -> None:
        """PersonalDataRefused unless this scope's viewer may read personal data of `level`."""
        if not self.may_read(level):
            raise PersonalDataRefused(f"{level} is not for a viewer who may read {self.personal}")

    @property
    def top(self) -> AreaScope:
        """The widest area this scope's viewer may see."""
        return replace(self, code=self.granted)

    @property
    def is_city(self) -> bool:
        return self.code is None

    @property
    def level(self) -> str:
        """'city', 'district', 'street', 'community' or 'grid'."""
        return CITY_LEVEL if self.code is None else LEVEL_BY_CODE_LENGTH[len(self.code)]

    @property
    def child_level(self) -> str:
        """The level drawn under this area on a map or in a ranking (a grid draws itself and its siblings)."""
        return CHILD_LEVEL.get(self.level, self.level)

    @property
    def parent(self) -> AreaScope | None:
        """The enclosing area (the city for a district); None for the city and for the top of the grant."""
        if self.code is None or self.code == self.granted:
            return None
        code = self.code[:AREA_LEVELS[PARENT_LEVEL[self.level]]] if self.level in PARENT_LEVEL else None
        return replace(self, code=code)

    @property
    def map_parent(self) -> AreaScope:
        """The area whose `child_level` areas a map or ranking shows: itself, or a grid's community."""
        return self.parent if self.level == "grid" else self

    def capped(self, level: str) -> AreaScope:
        """This area, or its ancestor at `level` when it lies deeper (e.g. member targets stop at communities)."""
        if self.code is None or len(self.code) <= AREA_LEVELS[level]:
            return self
        return replace(self, code=self.code[:AREA_LEVELS[level]])

    def condition(self, table: Table) -> list[ColumnElement]:
        """SQL conditions keeping the rows of `table` that lie inside this area (none for the city).

        Work orders and rollups compare a range of their finest codes (all digits, so collation-safe), which
        their one (code, time) index serves at every level; other tables compare their column of this level;
        the areas table compares the prefix of its `code`, alerts the prefix of their `area_code`.
        """
        if self.code is None:
            return []
        names = set(table.c.keys())
        if table is schema.work_orders or table in schema.ROLLUP_TABLES:
            finest = [level for level in AREA_LEVELS if f"{level}_code" in names][-1]
            return code_range(table.c[f"{finest}_code"], self.code, AREA_LEVELS[finest])
        if f"{self.level}_code" in names:
            return [table.c[f"{self.level}_code"] == self.code]
        if table is schema.alerts:
            # An alert lies inside the area when its own area does (a street's alert is not inside a community).
            return [table.c.area_code.startswith(self.code)]
        if "code" in names:
            return [table.c.code.startswith(self.code)]
        raise ValueError(f"{table.name} has no area code column for the {self.level} level")

CITY = AreaScope()


def code_range(column: ColumnElement, code: str, digits: int) -> list[ColumnElement]:
    """Rows of `column` (codes of `digits` digits) inside the area `code`: a range, since codes nest by prefix."""
    padding = digits - len(code)
    if padding == 0:
        return [column == code]
    return [column >= code + "0" * padding, column <= code + "9" * padding]
