"""The wheels, not the editable tree: every first-party distribution (the core and each plugin in
`plugins/`) is built into a wheel that holds every file of its packages — templates, static
files, translations (.po and the compiled .mo), data files — and, unpacked as an installation
would, imports from there and finds its templates and translations.

Built without a network (`pip wheel --no-deps --no-build-isolation`) from a copy of each source
tree, so nothing is written into the working tree and a stale `build/` cannot hide a mistake.
"""

from __future__ import annotations

import configparser
import importlib
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[2]
NOT_SHIPPED = {"babel.cfg"}  # build-time files that may sit in a package folder
LEFT_OUT = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")


def _skip(root: Path) -> Callable[[str, list[str]], set[str]]:
    """What a copy of the distribution at `root` leaves out: caches, builds, its own tests folder."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        return set(LEFT_OUT(folder, names)) | ({"tests"} & set(names) if Path(folder) == root else set())

    return ignore


@dataclass
class Dist:
    """A distribution to build: its source folder, and its packages as (import name, source folder)."""

    source: Path
    packages: list[tuple[str, Path]]


def _first_party() -> list[Dist]:
    core = Dist(ROOT, [("gongdan", ROOT / "core"), ("gongdan.admin", ROOT / "admin")])
    plugins = []
    for setup in sorted(ROOT.glob("plugins/*/setup.cfg")):
        config = configparser.ConfigParser()
        config.read(setup, encoding="utf-8")
        entry = config["options.entry_points"]["gongdan.plugins"].strip().splitlines()[0]
        module = entry.split("=", 1)[1].strip().split(":")[0].split(".")[0]
        plugins.append(Dist(setup.parent, [(module, setup.parent / module)]))
    return [core, *plugins]


def _expected(dist: Dist, copy: Path) -> set[str]:
    """Every file of the distribution's packages in its copy `copy`, as wheel paths."""
    found = set()
    folders = [(name, copy / folder.relative_to(dist.source)) for name, folder in dist.packages]
    for name, folder in folders:
        nested = [other for _, other in folders if other != folder and other.is_relative_to(folder)]
        for path in folder.rglob("*"):
            if (
                path.is_file()
                and "__pycache__" not in path.parts
                and path.name not in NOT_SHIPPED
                and not any(path.is_relative_to(n) for n in nested)
            ):
                found.add("/".join([*name.split("."), *path.relative_to(folder).parts]))
    return found


def _copy(dist: Dist, into: Path) -> Path:
    if dist.source == ROOT:
        into.mkdir(parents=True)
        for name in ("setup.cfg", "pyproject.toml", "README.md"):
            shutil.copy2(ROOT / name, into / name)
        for _, folder in dist.packages:
            shutil.copytree(folder, into / folder.name, ignore=LEFT_OUT)
        return into
    shutil.copytree(dist.source, into, ignore=_skip(dist.source))
    return into


PIP_WHEEL = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index"]


def _build(source: Path, out: Path) -> Path:
    done = subprocess.run(
        [*PIP_WHEEL, "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = out.glob("*.whl")
    return wheel


def archive_metadata(wheel: Path) -> str:
    """The METADATA file of `wheel`."""
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return archive.read(name).decode()


def _check_requires(metadata: str, module: str) -> None:
    """The wheel requires the same gongdan range as the plugin's `PLUGIN.requires_core`."""
    wanted = SpecifierSet(importlib.import_module(module).PLUGIN.requires_core)
    found = [Requirement(line.split(":", 1)[1]) for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    (core,) = [r for r in found if r.name == "gongdan"]
    assert core.specifier == wanted, f"{module}: install_requires gongdan{core.specifier}, requires_core {wanted}"


CHECK = textwrap.dedent(
    """
    import importlib, sys
    from pathlib import Path

    import jinja2
    from babel.support import Translations

    site = Path(sys.argv[1]).resolve()
    for name in sys.argv[2:]:
        module = importlib.import_module(name)
        folder = Path(module.__file__).resolve().parent
        assert folder.is_relative_to(site), f"{name} imported from {folder}, not from the wheel"
        templates = folder / "templates"
        if templates.is_dir():
            env = jinja2.Environment(loader=jinja2.FileSystemLoader(templates), extensions=["jinja2.ext.i18n"])
            for template in env.list_templates():  # found through the loader, and parsed
                env.parse(*env.loader.get_source(env, template)[:2])
            print(name, "templates", len(env.list_templates()))
        translations = folder / "translations"
        if translations.is_dir():
            catalogue = Translations.load(str(translations), ["zh_CN"])
            assert type(catalogue) is Translations and catalogue._catalog, f"{name}: no zh_CN catalogue"
            print(name, "messages", len(catalogue._catalog))
    """
)


def test_every_first_party_wheel_ships_its_files_and_works_installed(tmp_path: Path) -> None:
    dists = _first_party()
    assert len(dists) >= 7  # the core and the first-party plugins
    wheels_dir = tmp_path / "wheels"
    wheels_dir.mkdir()
    sources = [_copy(dist, tmp_path / "src" / dist.source.name.replace("_", "-")) for dist in dists]
    with ThreadPoolExecutor(max_workers=2) as pool:
        outs = [wheels_dir / str(n) for n in range(len(dists))]
        for out in outs:
            out.mkdir()
        wheels = list(pool.map(_build, sources, outs))
    site = tmp_path / "site"
    for dist, copy, wheel in zip(dists, sources, wheels, strict=True):
        with zipfile.ZipFile(wheel) as archive:
            shipped = set(archive.namelist())
            archive.extractall(site)
        missing = _expected(dist, copy) - shipped
        assert not missing, f"{wheel.name} lacks {sorted(missing)}"
        if dist.source != ROOT:
            _check_requires(archive_metadata(wheel), dist.packages[0][0])
    modules = [name for dist in dists for name, _ in dist.packages]
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONSAFEPATH": "1"}
    checked = subprocess.run(
        [sys.executable, "-c", CHECK, str(site), *modules], capture_output=True, text=True, env=env, timeout=120
    )
    assert checked.returncode == 0, checked.stderr[-3000:]
    pdd_templates = ROOT / "plugins" / "pdd_connector" / "gongdan_pdd_connector" / "templates"
    assert f"gongdan_pdd_connector templates {len(list(pdd_templates.rglob('*.html')))}" in checked.stdout
    assert "gongdan.admin templates" in checked.stdout
