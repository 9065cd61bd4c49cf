"""The production image installs the runtime dependencies, exactly as locked, and nothing else.

No Docker engine runs in tests: this reads what the Dockerfile's `pip install` commands take and
compares it with the runtime half of uv.lock (the project's `dependencies`, without the dev
group). The dev tools must still be declared and locked, since `make run`/`make test` need them.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Tests, lint, locking and the embedded development database: never in the image.
DEV_ONLY = {
    "aiosmtpd",
    "django-stubs",
    "factory-boy",
    "faker",
    "hypothesis",
    "import-linter",
    "mypy",
    "pgserver",
    "playwright",
    "pypdf",
    "pytest",
    "pytest-django",
    "pytest-timeout",
    "ruff",
    "uv",
}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_file(path: Path) -> dict[str, str]:
    """name -> pinned version of a pip requirements file (following `-r` includes)."""
    pins: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith(("-r ", "--requirement ")):
            pins |= _requirement_file(path.parent / line.split(None, 1)[1])
            continue
        assert not line.startswith("-"), f"{path.name}: unexpected option {line!r}"
        spec = line.split(";", 1)[0].strip()
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==(\S+)", spec)
        assert match, f"{path.name}: {spec!r} is not pinned with =="
        pins[_norm(match[1])] = match[2]
    return pins


def _dockerfile_installs() -> dict[str, str]:
    """Every package the Dockerfile's RUN commands install, with its pinned version."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    installed: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("RUN "):
            continue
        for command in re.split(r"&&|\|\||;", line[4:]):
            words = shlex.split(command)
            # Another installer would bypass this check; the image uses plain pip on purpose.
            assert not {"uv", "poetry", "pipenv", "pdm"} & set(words), command
            if "pip" not in " ".join(words) or "install" not in words:
                continue
            args = iter(words[words.index("install") + 1 :])
            for arg in args:
                if arg in ("-r", "--requirement"):
                    installed |= _requirement_file(ROOT / next(args))
                elif arg in ("-c", "--constraint"):
                    next(args)
                elif arg.startswith("-"):
                    assert "=" in arg or arg in ("--no-cache-dir", "--no-deps"), arg
                else:
                    raise AssertionError(f"the Dockerfile installs {arg!r} outside the lock")
    return installed


def _lock() -> dict[str, dict]:
    packages = tomllib.loads((ROOT / "uv.lock").read_text())["package"]
    return {p["name"]: p for p in packages}


def _runtime_closure(lock: dict[str, dict]) -> set[str]:
    """Packages the project's runtime dependencies pull in (with extras), per uv.lock."""
    done: set[tuple[str, str]] = set()
    todo = [lock["betterdata"]["dependencies"]]
    while todo:
        for dep in todo.pop():
            for extra in ("", *dep.get("extra", ())):
                if (dep["name"], extra) in done:
                    continue
                done.add((dep["name"], extra))
                package = lock[dep["name"]]
                if extra:
                    todo.append(package.get("optional-dependencies", {}).get(extra, []))
                else:
                    todo.append(package.get("dependencies", []))
    return {name for name, _ in done}


def test_image_installs_exactly_the_locked_runtime_dependencies():
    installed = _dockerfile_installs()
    assert not DEV_ONLY & set(installed), "dev-only packages in the production image"
    lock = _lock()
    assert set(installed) == _runtime_closure(lock)
    assert {name: lock[name]["version"] for name in installed} == installed


def test_make_installs_the_dev_tools_from_the_lock():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared_dev = {
        _norm(re.match(r"[A-Za-z0-9_.\-]+", d)[0]) for d in pyproject["dependency-groups"]["dev"]
    }
    assert declared_dev >= DEV_ONLY
    locked_dev = {d["name"] for d in _lock()["betterdata"]["dev-dependencies"]["dev"]}
    assert locked_dev == declared_dev, "uv.lock is stale: run `make lock`"
