"""Tables derived from shipped files, kept on disk between processes (`gongdan.derived_files`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gongdan import derived_files


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(derived_files.CACHE_DIR_ENV, str(folder))
    return folder


def test_the_cache_directory_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(derived_files.CACHE_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert derived_files.cache_dir() == tmp_path / "xdg" / "gongdan"
    monkeypatch.setenv(derived_files.CACHE_DIR_ENV, str(tmp_path / "own"))
    assert derived_files.cache_dir() == tmp_path / "own"


def test_a_table_is_built_once_and_then_read_from_disk(cache: Path) -> None:
    builds: list[int] = []

    def build() -> dict[str, list[str]]:
        builds.append(1)
        return {"cork": ["软木塞", "塞子"]}

    first = derived_files.cached_json("glossary", [b"dictionary", b"code"], build)
    again = derived_files.cached_json("glossary", [b"dictionary", b"code"], build)
    assert first == again == {"cork": ["软木塞", "塞子"]}
    assert builds == [1]
    (written,) = cache.iterdir()
    assert written.name.startswith("glossary-")
    assert written.suffix == ".json"
    assert json.loads(written.read_text(encoding="utf-8")) == first
    assert not [p for p in cache.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_new_sources_never_read_an_old_table(cache: Path) -> None:
    derived_files.cached_json("glossary", [b"dictionary 1"], lambda: {"v": 1})
    assert derived_files.cached_json("glossary", [b"dictionary 2"], lambda: {"v": 2}) == {"v": 2}
    assert derived_files.cached_json("glossary", [b"dictionary", b"code 2"], lambda: {"v": 3}) == {"v": 3}
    assert len(list(cache.iterdir())) == 3


def test_a_damaged_file_is_built_again(cache: Path) -> None:
    derived_files.cached_json("glossary", [b"d"], lambda: {"v": 1})
    (written,) = cache.iterdir()
    written.write_text('{"v": ', encoding="utf-8")  # cut short
    assert derived_files.cached_json("glossary", [b"d"], lambda: {"v": 1}) == {"v": 1}
    assert json.loads(written.read_text(encoding="utf-8")) == {"v": 1}


def test_a_cache_that_cannot_be_written_only_costs_the_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv(derived_files.CACHE_DIR_ENV, str(blocker / "cache"))
    assert derived_files.cached_json("glossary", [b"d"], lambda: {"v": 1}) == {"v": 1}
    assert blocker.read_text(encoding="utf-8") == "not a directory"
