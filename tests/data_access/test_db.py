"""Which database the app, the CLIs and the simulator open: one resolver."""

from __future__ import annotations

from data_access import db


def test_the_url_comes_from_the_argument_then_the_environment_then_secrets_then_the_default(monkeypatch, tmp_path):
    user_secrets, project_secrets = tmp_path / "user.toml", tmp_path / "project.toml"
    monkeypatch.setattr(db, "SECRETS_FILES", (user_secrets, project_secrets))
    monkeypatch.delenv(db.DATABASE_URL_VARIABLE, raising=False)
    assert db.database_url() == db.DEFAULT_DATABASE_URL
    user_secrets.write_text(f'{db.DATABASE_URL_VARIABLE} = "postgresql://city@user/cityscreen"\n')
    assert db.database_url() == "postgresql://city@user/cityscreen"
    project_secrets.write_text(f'{db.DATABASE_URL_VARIABLE} = "postgresql://city@secret/cityscreen"\n[auth]\nx = 1\n')
    assert db.database_url() == "postgresql://city@secret/cityscreen"
    monkeypatch.setenv(db.DATABASE_URL_VARIABLE, "postgresql://city@env/cityscreen")
    assert db.database_url() == "postgresql://city@env/cityscreen"
    assert db.database_url("sqlite:////tmp/other.sqlite") == "sqlite:////tmp/other.sqlite"


def test_a_broken_secrets_file_is_named(monkeypatch, tmp_path):
    broken = tmp_path / "secrets.toml"
    broken.write_text("CITYSCREEN_DB_URL = \n")
    monkeypatch.setattr(db, "SECRETS_FILES", (broken,))
    monkeypatch.delenv(db.DATABASE_URL_VARIABLE, raising=False)
    try:
        db.database_url()
    except ValueError as error:
        assert str(broken) in str(error)
    else:
        raise AssertionError("a broken secrets file was ignored")
