"""accelmark's settings file: typed keys, defaults without a file, one-sentence errors."""

from __future__ import annotations

import json

import pytest

from accelmark_tui.errors import UsageError
from accelmark_tui.config import Settings, load_settings, save_settings, settings_path, validate_repo
from accelmark_tui.config import DEFAULT_REPO


def test_defaults_without_a_file(tmp_path):
    assert not settings_path().exists()
    assert load_settings() == Settings(submit_repo=DEFAULT_REPO)


def test_save_and_load_the_target_repository(tmp_path):
    path = save_settings(Settings(submit_repo=" my-org/AccelMark-fork/ "))
    assert path == settings_path() and path.parent.name == "config"
    assert json.loads(path.read_text()) == {"submit_repo": "my-org/AccelMark-fork"}
    assert load_settings().submit_repo == "my-org/AccelMark-fork"


@pytest.mark.parametrize("content, words", [
    ('{"submit_repo": "no-slash"}', "'no-slash' is not a repository name; give it as OWNER/NAME"),
    ('{"submit_repo": 7}', "submit_repo must be a string OWNER/NAME"),
    ('{"repo": "a/b"}', "unknown key(s) repo; the keys are submit_repo"),
    ('[1]', "unreadable (not a JSON object)"),
    ("{", "unreadable"),
])
def test_bad_files_say_what_to_fix(content, words):
    settings_path().parent.mkdir(parents=True, exist_ok=True)
    settings_path().write_text(content)
    with pytest.raises(UsageError) as exc:
        load_settings()
    text = str(exc.value)
    assert text.startswith(f"The settings at {settings_path()} are") and words in text and "\n" not in text


def test_validate_repo():
    assert validate_repo("FreedomIntelligence/AccelMark") == DEFAULT_REPO
    for bad in ("", "a/b/c", "/name", "owner/", "own er/name"):
        with pytest.raises(UsageError):
            validate_repo(bad)
