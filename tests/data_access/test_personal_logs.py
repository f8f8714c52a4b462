"""A load with bad phone and ID numbers leaves none of them whole in its errors, its logging or its output
(both backends, and the command line)."""

from __future__ import annotations

import logging
import re
import shutil

import pandas as pd
import pytest

from data_access.__main__ import main
from data_access.ingest import LoadRejected, load_directory

# Planted where they are wrong (a bad phone, an ID card in a phone, a timestamp or a code field) or typed into
# citizens' words; each must be named by file, line and field only, or masked.
BAD_MOBILE = "1381234567"
ID_IN_PHONE = "420102199001011234"
PHONE_IN_TIMESTAMP = "13912345678"
ID_IN_CATEGORY = "11010519491231002X"
PHONE_IN_TITLE = "13700001111"
ID_IN_DESCRIPTION = "420103198807150012"
BAD_LANDLINE = "027-123"
ID_IN_UNIT_TYPE = "420104197001010018"
PLANTED = (BAD_MOBILE, ID_IN_PHONE, PHONE_IN_TIMESTAMP, ID_IN_CATEGORY, PHONE_IN_TITLE, ID_IN_DESCRIPTION,
           BAD_LANDLINE, ID_IN_UNIT_TYPE)


def read(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


@pytest.fixture
def bad_city(city_dir, tmp_path):
    """The test city with personal numbers planted in wrong places."""
    directory = tmp_path / "bad-city"
    shutil.copytree(city_dir, directory)
    orders = read(directory / "work_orders.csv")
    orders.loc[0, "caller_phone"] = BAD_MOBILE
    orders.loc[1, "caller_phone"] = ID_IN_PHONE
    orders.loc[2, "received_at"] = PHONE_IN_TIMESTAMP
    orders.loc[3, "category_l1"] = ID_IN_CATEGORY
    orders.loc[4, "title"] = f"楼下噪音，请回电 {PHONE_IN_TITLE}"
    orders.loc[4, "description"] = f"身份证 {ID_IN_DESCRIPTION}"
    orders.to_csv(directory / "work_orders.csv", index=False)
    members = read(directory / "members.csv")
    members.loc[0, "phone"] = BAD_LANDLINE
    members.loc[1, "unit_type"] = ID_IN_UNIT_TYPE
    members.to_csv(directory / "members.csv", index=False)
    return directory


def leaked(*texts: str) -> list[str]:
    return [value for value in PLANTED if any(value in text for text in texts)]


def test_a_rejected_load_names_the_fields_but_no_personal_number(bad_city, empty_engine, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(LoadRejected) as rejected:
        load_directory(bad_city, empty_engine, progress=lambda message: logging.getLogger("test").info(message))
    errors = {(error.file, error.field) for error in rejected.value.errors}
    assert {("work_orders.csv", "caller_phone"), ("work_orders.csv", "received_at"),
            ("work_orders.csv", "category_l1"), ("members.csv", "phone"), ("members.csv", "unit_type")} <= errors
    out, err = capsys.readouterr()
    assert leaked(str(rejected.value), caplog.text, out, err) == []
    # Masked, a number in a wrong place can still be found by the one who fixes the file.
    assert ID_IN_CATEGORY[:6] + "********" + ID_IN_CATEGORY[-4:] in str(rejected.value)


def test_the_command_lines_rejection_prints_no_personal_number(bad_city, tmp_path, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    assert main(["load", str(bad_city), "--db", f"sqlite:///{tmp_path / 'city.sqlite'}"]) == 1
    out, err = capsys.readouterr()
    assert "received_at" in err and leaked(caplog.text, out, err) == []


@pytest.fixture
def postgres_city(city_dir, tmp_path):
    """The test city in a fresh PostgreSQL schema, and a URL the command line reaches it by."""
    from tests.conftest import TEST_SCHEMAS, drop_engine, make_empty_engine, postgres_url

    engine = make_empty_engine("postgresql", tmp_path)
    load_directory(city_dir, engine)
    yield engine, f"{postgres_url()}?options=-csearch_path%3D{TEST_SCHEMAS[id(engine)]}"
    drop_engine(engine)


def members_table(engine) -> pd.DataFrame:
    return pd.read_sql("SELECT * FROM members ORDER BY member_id", engine)


def test_a_database_error_during_a_load_quotes_no_personal_number(postgres_city, city_dir, tmp_path, caplog,
                                                                   capsys):
    engine, url = postgres_city
    # A rule the database holds and the loader does not check (one member per phone number): a new member with
    # a registered member's phone passes every check, and PostgreSQL refuses it quoting the key's value.
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE UNIQUE INDEX members_one_per_phone ON members (phone)")
    before = members_table(engine)
    phone = before["phone"].iloc[0]
    assert re.fullmatch(r"1[3-9]\d{9}", phone)
    batch = tmp_path / "batch"
    batch.mkdir()
    newcomer = read(city_dir / "members.csv").head(1).assign(member_id="M9999999", name="王新来")
    newcomer.to_csv(batch / "members.csv", index=False)
    caplog.set_level(logging.DEBUG)
    assert main(["load", str(batch), "--db", url, "--quiet"]) == 1
    out, err = capsys.readouterr()
    masked = phone[:3] + "****" + phone[-4:]
    # The database's own words, with the number masked as the masked columns show it, in the output and the log.
    assert "members_one_per_phone" in err and masked in err and "database unchanged" in err
    assert masked in caplog.text
    assert [text for text in (out, err, caplog.text) if phone in text] == []
    pd.testing.assert_frame_equal(members_table(engine), before)


@pytest.mark.parametrize(("message", "shown", "withheld"), [
    # PostgreSQL's wording of a NOT NULL or CHECK violation quotes the whole row, names included.
    ('null value in column "status" of relation "members" violates not-null constraint\n'
     "DETAIL:  Failing row contains (M1, 张三, 13812345678, null).", "Failing row not shown", ["张三", "13812345678"]),
    # A code keeps its 15 digits (a grid's code is not an old ID number); an ID card in a key is masked.
    ('insert or update on table "members" violates foreign key constraint "fk"\n'
     "DETAIL:  Key (grid_code)=(429902001001002) is not present in table \"areas\".", "(429902001001002)", []),
    ("duplicate key value violates unique constraint \"k\"\nDETAIL:  Key (member_id)=(420102199001011234) already "
     "exists.", "(420102********1234)", ["420102199001011234"]),
    # A name in a key is not quoted at all (no masking makes a name safe).
    ("duplicate key value violates unique constraint \"k\"\nDETAIL:  Key (name, phone)=(张三, 13812345678) already "
     "exists.", "Key (name, phone)=(the values) already exists", ["张三", "13812345678"]),
])
def test_a_database_message_is_masked_like_an_input_error(message, shown, withheld):
    from data_access.ingest.errors import masked_database_message

    masked = masked_database_message(Exception(message))
    assert shown in masked and [value for value in withheld if value in masked] == []
