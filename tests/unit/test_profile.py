"""The submitter profile: storage in the config dir, validation sentences."""

from __future__ import annotations

import json

import pytest

from accelmark_tui.errors import UsageError
from accelmark_tui.config import PLACEHOLDER_SUBMITTER
from accelmark_tui.config import (
    Profile,
    current_submitter,
    load_profile,
    profile_path,
    save_profile,
    validate_login,
)


@pytest.fixture(autouse=True)
def _dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("ACCELMARK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ACCELMARK_CONFIG_DIR", str(tmp_path / "config"))


def test_no_profile_means_placeholder(tmp_path):
    assert load_profile() is None
    assert current_submitter() == (PLACEHOLDER_SUBMITTER, "individual")


def test_save_and_load(tmp_path):
    path = save_profile(Profile("@octo-cat", "Research", " Lab ", "me@example.org"))
    assert path == tmp_path / "config" / "profile.json" == profile_path()
    assert json.loads(path.read_text()) == {
        "submitted_by": "octo-cat", "submission_type": "research", "organization": "Lab", "contact": "me@example.org",
    }
    assert load_profile() == Profile("octo-cat", "research", "Lab", "me@example.org")
    assert current_submitter() == ("octo-cat", "research")


@pytest.mark.parametrize("login", ["", "-octo", "octo-", "oc--to", "has space", "a" * 40, "ünï", PLACEHOLDER_SUBMITTER])
def test_bad_logins_are_one_sentence(login):
    with pytest.raises(UsageError) as info:
        validate_login(login)
    message = str(info.value)
    assert "\n" not in message and message.endswith(".")


def test_good_logins():
    assert validate_login("JuhaoLiang1997") == "JuhaoLiang1997"
    assert validate_login(" a-b ") == "a-b"
    assert validate_login("a" * 39) == "a" * 39


@pytest.mark.parametrize(
    ("profile", "match"),
    [
        (Profile("octocat", "company"), "Submission type"),
        (Profile("octocat", "vendor"), "organization"),
        (Profile("octocat", contact="not-an-email"), "email"),
    ],
)
def test_bad_fields(profile, match):
    with pytest.raises(UsageError, match=match):
        save_profile(profile)
    assert load_profile() is None  # nothing written


def test_corrupt_profile_is_reported_not_crashing(tmp_path):
    path = profile_path()
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(UsageError, match="profile"):
        load_profile()
    # A broken profile never blocks a measurement.
    assert current_submitter() == (PLACEHOLDER_SUBMITTER, "individual")
    path.write_text(json.dumps({"submitted_by": "bad login"}))
    with pytest.raises(UsageError, match="invalid"):
        load_profile()
