"""Every tile's figure fits its tile at 1280 and 1600 pixels, in both languages, with the city's largest figures."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from data_access.db import create_db_engine
from data_access.ingest import load_directory
from tests.browser.conftest import app_errors, screenshot, streamlit_server, wait_for_app

# Members 50 times over, and community targets to match: "14,350 / 14,500" is the longest figure a city of
# Wuhan's size puts on a tile.
MEMBER_FACTOR = 50
PAGES = ("", "members", "stations", "grid-map")


@pytest.fixture(scope="module")
def big_city_url(city_dir, tmp_path_factory):
    directory = tmp_path_factory.mktemp("big-city")
    for path in city_dir.iterdir():
        shutil.copy(path, directory / path.name)
    members = pd.read_csv(directory / "members.csv", dtype=str, keep_default_na=False, na_values=[""])
    copies = [members] + [members.assign(member_id=members["member_id"] + f"-{copy}")
                          for copy in range(1, MEMBER_FACTOR)]
    pd.concat(copies).to_csv(directory / "members.csv", index=False)
    communities = json.loads((directory / "communities.geojson").read_text(encoding="utf-8"))
    for feature in communities["features"]:
        feature["properties"]["member_target"] = int(feature["properties"]["member_target"]) * MEMBER_FACTOR
    (directory / "communities.geojson").write_text(json.dumps(communities, ensure_ascii=False), encoding="utf-8")
    database = tmp_path_factory.mktemp("big-db") / "city.sqlite"
    engine = create_db_engine(f"sqlite:///{database}")
    load_directory(directory, engine)
    engine.dispose()
    return f"sqlite:///{database}"


@pytest.fixture(scope="module")
def big_app_url(big_city_url):
    with streamlit_server(big_city_url, "streamlit-big-city") as base:
        yield base


# Every element of every tile's figure: its content no wider than its box.
OVERFLOWING = """() => [...document.querySelectorAll("[data-testid='stMetricValue']")].flatMap(value =>
  [value, ...value.querySelectorAll("*")].filter(element => element.scrollWidth > element.clientWidth + 1)
  .map(element => value.innerText + ": " + element.scrollWidth + " > " + element.clientWidth))"""


@pytest.mark.parametrize("width", [1280, 1600])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_tile_figure_fits_its_tile(browser, big_app_url, width, language):
    context = browser.new_context(viewport={"width": width, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    longest = ""
    for path in PAGES:
        page.goto(f"{big_app_url}/{path}?lang={language}")
        wait_for_app(page)
        values = page.locator("[data-testid='stMetricValue']")
        assert values.count() >= 4, path
        assert page.evaluate(OVERFLOWING) == [], (path, width, language)
        longest = max([longest, *values.all_inner_texts()], key=len)
        if width == 1280:
            screenshot(page, f"tiles-{path or 'overview'}-{language}-{width}")
    assert len(longest) >= len("14,350 / 14,500"), longest  # the city's largest figures were on screen
    assert app_errors(page) == []
    context.close()
