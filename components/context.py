"""What every page needs to know this run: language, the data's clock, the city and the sidebar selection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from components.filters import Selection
from components.i18n import translate
from data_access.filters import WorkOrderFilter
from data_access.roles import OPEN_DEMO, Viewer
from data_access.scope import AreaScope

# Where the frame keeps this run's viewer and area, for components that act for them (exports, audits).
VIEWER_KEY = "page_viewer"
AREA_KEY = "page_area"


@dataclass(frozen=True)
class PageContext:
    """Built by the frame (components/frame.py) and handed to the page's render function."""

    language: str
    now: int
    today: date
    city: dict
    selection: Selection
    # A mapbox-gl style JSON URL on an intranet tile server; None draws no external basemap.
    map_style: str | None = None
    # Who is looking (components/auth.py); the open demo when no identity provider is configured.
    viewer: Viewer = OPEN_DEMO

    @property
    def scope(self) -> AreaScope:
        """The selected area (the whole city when none)."""
        return self.selection.area

    @property
    def work_filter(self) -> WorkOrderFilter:
        """The work-order filter of the sidebar selection."""
        return self.selection.work_filter()

    @property
    def synthetic(self) -> bool:
        """True when the loaded data is the generated demo city."""
        return self.city.get("synthetic") == "true"

    @property
    def name_column(self) -> str:
        """The column holding area names in the page's language."""
        return "name_en" if self.language == "en" else "name_zh"

    def t(self, key: str, **values) -> str:
        """A catalog string in the page's language."""
        return translate(key, self.language, **values)

    def name(self, row) -> str:
        """The localised name of an area row (name_zh / name_en)."""
        return row[self.name_column]
