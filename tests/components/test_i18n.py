"""The string catalog: both languages everywhere, and every key the code uses exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from components.i18n import STRINGS, code_label, pick_language, translate
from data_access import codes

ROOT = Path(__file__).resolve().parents[2]
KEY_USE = re.compile(r"""\b(?:t|translate)\(\s*f?["']([a-z_.0-9{}]+)["']""")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(STRINGS))
def test_every_entry_has_both_languages_with_the_same_placeholders(key):
    chinese, english = STRINGS[key]
    assert chinese.strip() and english.strip()
    assert placeholders(chinese) == placeholders(english)


def test_every_key_used_in_the_code_is_in_the_catalog():
    used = set()
    for path in [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "components").glob("*.py")]:
        used.update(KEY_USE.findall(path.read_text(encoding="utf-8")))
    assert used, "the pattern found no keys: it is broken"
    fixed = {key for key in used if "{" not in key}
    missing = sorted(fixed - set(STRINGS))
    assert not missing, f"keys used but missing from the catalog: {missing}"
    for template in used - fixed:
        prefix = template.split("{")[0]
        assert any(key.startswith(prefix) for key in STRINGS), template


def test_code_tables_have_both_languages():
    for table in (codes.STATION_TYPES, codes.CHANNELS, codes.APPEAL_TYPES, codes.CATEGORIES_L1,
                  codes.WORK_ORDER_STATUSES, codes.MEMBER_POSTS, codes.ACTIVITY_KINDS, codes.GRID_WORKER_ROLES,
                  codes.DEPARTMENTS, codes.TASK_STATES, codes.TASK_ACTIONS, codes.TASK_SOURCES):
        for chinese, english in table.values():
            assert chinese.strip() and english.strip()


def test_every_problem_a_task_request_can_have_is_explained_in_both_languages():
    from data_access.tasks import PROBLEM_CODES

    for code in PROBLEM_CODES:
        assert f"tasks.error.{code}" in STRINGS, code


def test_translate_and_labels():
    assert translate("app.data_as_of", "en", when="2026-06-30") == "Data as of 2026-06-30"
    assert translate("app.data_as_of", "zh", when="2026-06-30") == "数据截至 2026-06-30"
    assert code_label(codes.CHANNELS, "hotline_12345", "en") == "12345 hotline"
    assert code_label(codes.CHANNELS, "pigeon", "zh") == "pigeon"


def test_language_choice_order():
    assert pick_language("en", None, "zh-CN") == "en"
    assert pick_language(None, "en", "zh-CN") == "en"
    assert pick_language(None, None, "en-GB") == "en"
    assert pick_language(None, None, "zh-CN") == "zh"
    assert pick_language("fr", None, None) == "zh"
