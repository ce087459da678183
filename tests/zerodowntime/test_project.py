"""Locating the project: embedded servers only for a project that asks for them."""

from __future__ import annotations

from pathlib import Path

import pytest

from zerodowntime import project


@pytest.fixture
def other_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Return the folder of a project that names its own database and wants no embedded server."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.zerodowntime]\ndjango_settings = "mysite.settings"\n'
    )
    monkeypatch.chdir(tmp_path)
    names = ("DATABASE_URL", "REDIS_URL", "ZDT_EMBEDDED", "ZDT_STATE_DIR", "DJANGO_SETTINGS_MODULE")
    for name in names:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_nothing_is_started_in_a_project_that_did_not_ask(other_project: Path) -> None:
    assert project.wants_embedded() is False
    assert project.ensure_services() is None
    env = project.process_environment(release=None)
    assert "DATABASE_URL" not in env and env["DJANGO_SETTINGS_MODULE"] == "mysite.settings"
    assert not (other_project / ".zdt").exists()


def test_a_command_that_needs_servers_says_how_to_get_them(other_project: Path) -> None:
    with pytest.raises(project.ProjectError, match="set DATABASE_URL and REDIS_URL, or start"):
        project.require_services()
    assert not (other_project / ".zdt").exists()


@pytest.mark.parametrize(
    ("pyproject", "env", "wanted"),
    [
        ("[tool.zerodowntime]\nembedded = true\n", None, True),
        ("[tool.zerodowntime]\nembedded = false\n", None, False),
        ("[tool.zerodowntime]\n", "1", True),
    ],
)
def test_a_project_asks_for_the_embedded_servers_by_setting(
    other_project: Path,
    monkeypatch: pytest.MonkeyPatch,
    pyproject: str,
    env: str | None,
    wanted: bool,
) -> None:
    (other_project / "pyproject.toml").write_text(pyproject)
    if env is not None:
        monkeypatch.setenv("ZDT_EMBEDDED", env)
    assert project.wants_embedded() is wanted
