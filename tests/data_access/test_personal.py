"""Phone and ID numbers typed into free text are masked like the masked columns; other numbers are left."""

from __future__ import annotations

import pandas as pd
import pytest

from data_access.personal import mask_personal_column, mask_personal_text


@pytest.mark.parametrize(("text", "masked"), [
    ("请回电13812345678谢谢", "请回电138****5678谢谢"),
    ("手机 138-1234-5678。", "手机 138****5678。"),
    ("手机 138 1234 5678", "手机 138****5678"),
    ("座机027-87654321转", "座机027****4321转"),
    ("座机02787654321", "座机027****4321"),
    ("0755 12345678 找王师傅", "075****5678 找王师傅"),
    ("身份证420102199001011234", "身份证420102********1234"),
    ("身份证号42010219900101123X。", "身份证号420102********123X。"),
    ("老身份证420102900101123", "老身份证420102*****1123"),
    ("two: 13912345678 and 13687654321", "two: 139****5678 and 136****4321"),
])
def test_phone_and_id_numbers_in_free_text_are_masked(text, masked):
    assert mask_personal_text(text) == masked


@pytest.mark.parametrize("text", [
    "小区3号楼12单元漏水", "工单WO2026061500123重复", "2026-06-15 09:30:00 路灯不亮", "金额 12345.67 元",
    "订单号 A13812345678B", "门牌 123456", "12345热线转来",
])
def test_other_numbers_are_left_alone(text):
    assert mask_personal_text(text) == text


def test_a_column_keeps_missing_values_and_unchanged_cells():
    column = pd.Series(["无号码", None, "电话13812345678", pd.NA], dtype=object)
    masked = mask_personal_column(column)
    assert masked.iloc[0] == "无号码" and masked.iloc[2] == "电话138****5678"
    assert masked.iloc[1] is None and masked.iloc[3] is pd.NA
    assert column.iloc[2] == "电话13812345678", "the input column is not changed in place"


def test_the_loader_stores_free_text_with_phone_and_id_numbers_masked(empty_engine, city_dir, tmp_path):
    import shutil

    from sqlalchemy import select

    from data_access.ingest import load_directory
    from data_access.schema import member_activities, work_orders

    for path in city_dir.iterdir():
        shutil.copy(path, tmp_path / path.name)
    orders = pd.read_csv(tmp_path / "work_orders.csv", dtype=str, keep_default_na=False, na_values=[""])
    orders.loc[0, "title"] = "路灯不亮，请回电13812345678"
    orders.loc[0, "description"] = "身份证420102199001011234，座机027-87654321"
    orders.to_csv(tmp_path / "work_orders.csv", index=False)
    activities = pd.read_csv(tmp_path / "member_activities.csv", dtype=str, keep_default_na=False, na_values=[""])
    activities.loc[0, "note"] = "联系居民 13987654321 已上门"
    activities.to_csv(tmp_path / "member_activities.csv", index=False)
    load_directory(tmp_path, empty_engine)
    with empty_engine.connect() as connection:
        order = connection.execute(select(work_orders.c.title, work_orders.c.description)
                                   .where(work_orders.c.order_no == orders.loc[0, "order_no"])).one()
        note = connection.execute(select(member_activities.c.note).where(
            member_activities.c.activity_id == activities.loc[0, "activity_id"])).scalar_one()
    assert order.title == "路灯不亮，请回电138****5678"
    assert order.description == "身份证420102********1234，座机027****4321"
    assert note == "联系居民 139****4321 已上门"
