"""trust-verify.pyz as an outsider runs it (transparency.verifier): the zipapp, a bundle and the log's key are
downloaded from the API, then checked by the system Python in a fresh venv holding nothing but ``cryptography``.

The venv is built offline: the wheels of ``cryptography``, ``cffi`` and ``pycparser`` are repacked from the
distributions installed in the environment running the tests (when the system Python is the same CPython
minor version; otherwise they come from PyPI, and the test skips when PyPI is unreachable unless
REQUIRE_SERVICES=1). Takes a few seconds: it builds a venv.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from evidence import services
from tests.conftest import need, port_open
from transparency import log as tlog

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

VERIFIER_NEEDS = ("cryptography", "cffi", "pycparser")  # cryptography and what it imports at run time
VENV_MAY_HOLD = {"pip", "setuptools", *VERIFIER_NEEDS}  # what `python3 -m venv` seeds, plus the above
PASSED_THROUGH = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy", "PIP_CERT")


def system_python() -> str | None:
    """The system's python3 (never the test environment's own virtualenv interpreter)."""
    venv_bin = Path(sys.prefix) / "bin"
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if Path(p) != venv_bin)
    for candidate in ("/usr/bin/python3", shutil.which("python3", path=path)):
        if candidate and Path(candidate).exists() and not Path(candidate).resolve().is_relative_to(sys.prefix):
            return candidate
    return None


def clean_env(home: Path) -> dict[str, str]:
    """No PYTHONPATH, no pip configuration of this machine (its find-links and indexes), nothing of the repo."""
    env = {k: os.environ[k] for k in PASSED_THROUGH if k in os.environ}
    return {
        **env,
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INPUT": "1",
    }


def run(args: list[str | Path], *, cwd: Path, env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def wheel_from_installed(name: str, into: Path) -> Path:
    """Repack an installed distribution as a wheel: its files, its dist-info, a fresh RECORD (PEP 427)."""
    dist = metadata.distribution(name)
    tag = next(
        line.split(":", 1)[1].strip() for line in dist.read_text("WHEEL").splitlines() if line.startswith("Tag:")
    )
    files = [str(f) for f in dist.files or []]
    dist_info = next(f.rsplit("/", 1)[0] for f in files if f.endswith(".dist-info/METADATA"))
    skipped = {f"{dist_info}/{n}" for n in ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")}
    wheel_path = into / f"{dist.metadata['Name'].replace('-', '_')}-{dist.version}-{tag}.whl"
    record = []
    with zipfile.ZipFile(wheel_path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for relative in files:
            # Installer-made files: scripts outside site-packages (rebuilt from entry_points.txt), bytecode.
            if relative.startswith("..") or "__pycache__" in relative or relative in skipped:
                continue
            source = Path(str(dist.locate_file(relative)))
            data = source.read_bytes()
            wheel.write(source, relative)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{relative},sha256={digest},{len(data)}")
        record.append(f"{dist_info}/RECORD,,")
        wheel.writestr(f"{dist_info}/RECORD", "\n".join(record) + "\n")
    return wheel_path


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv of the system Python with only ``cryptography`` installed into it; its interpreter."""
    python = system_python()
    need(python is not None, "no system python3 to build the verifier's venv with")
    assert python is not None
    root = tmp_path_factory.mktemp("verifier-venv")
    env = clean_env(root)
    created = run([python, "-m", "venv", root / "venv"], cwd=root, env=env)
    need(created.returncode == 0, f"{python} -m venv failed (python3-venv missing?): {created.stderr.strip()}")
    venv = root / "venv" / "bin" / "python"
    version = run([venv, "-c", "import sys; print(sys.implementation.name, *sys.version_info[:2])"], cwd=root, env=env)
    same_python = version.stdout.split() == [sys.implementation.name, *map(str, sys.version_info[:2])]
    if same_python:
        wheels = root / "wheels"
        wheels.mkdir()
        for name in VERIFIER_NEEDS:
            wheel_from_installed(name, wheels)
        install = [venv, "-m", "pip", "install", "--no-index", "--find-links", wheels, "cryptography"]
    else:  # the repacked wheels would not fit another interpreter: fetch them
        need(
            port_open("https://pypi.org", 443),
            f"the system Python ({version.stdout.strip()}) differs from the tests' and PyPI is unreachable",
        )
        install = [venv, "-m", "pip", "install", "--index-url", "https://pypi.org/simple", "cryptography"]
    installed = run(install, cwd=root, env=env, timeout=300)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return venv


@pytest.fixture
def downloads(published_pact, agent, vendor, wire, client, tmp_path: Path) -> Path:
    """trust-verify.pyz, Refund Bot's bundle and the log's key, downloaded through the API into a folder."""
    services.evidence_submit(agent=agent, items=[wire(successes=190 + i, trials=200) for i in range(3)], user=vendor)
    services.evidence_submit(
        agent=agent,
        items=[wire(successes=None, trials=None, metric="latency_ms", values=[900.0, 1200.0, 1450.0] * 200)],
        user=vendor,
    )
    tlog.checkpoint_sign()  # what the task queued on commit does: reads never sign
    for url, name in [
        ("/api/v1/log/verifier.pyz", "trust-verify.pyz"),
        ("/api/v1/agents/refund-bot/bundle/", "bundle.json"),
        ("/api/v1/log/key.pem", "key.pem"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        (tmp_path / name).write_bytes(response.content)
    return tmp_path


def verify(venv_python: Path, folder: Path, bundle: str = "bundle.json") -> subprocess.CompletedProcess:
    return run([venv_python, "trust-verify.pyz", bundle, "--key", "key.pem"], cwd=folder, env=clean_env(folder))


def test_the_venv_holds_only_cryptography_and_its_dependencies(venv_python: Path, tmp_path: Path) -> None:
    listed = run([venv_python, "-m", "pip", "list", "--format=json"], cwd=tmp_path, env=clean_env(tmp_path))
    assert listed.returncode == 0, listed.stderr
    names = {package["name"].lower() for package in json.loads(listed.stdout)}
    assert {"pip", *VERIFIER_NEEDS} <= names <= VENV_MAY_HOLD
    nothing_of_ours = run([venv_python, "-c", "import trustcore"], cwd=tmp_path, env=clean_env(tmp_path))
    assert nothing_of_ours.returncode == 1 and "ModuleNotFoundError" in nothing_of_ours.stderr


def test_the_downloaded_zipapp_verifies_the_downloaded_bundle(venv_python: Path, downloads: Path) -> None:
    result = verify(venv_python, downloads)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK: checkpoint of ")
    assert "4 records included and proven; 3 verdicts recomputed and equal." in result.stdout


def _edit_verdict(bundle: dict) -> None:
    bundle["pacts"][0]["verdicts"][1]["status"] = "breached"


def _change_a_count(bundle: dict) -> None:
    record = json.loads(bundle["records"][0]["data"])
    record["successes"] = 1
    bundle["records"][0]["data"] = json.dumps(record, separators=(",", ":"), sort_keys=True)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (_edit_verdict, ["FAILED: pact", "verdict for clause latency-p95 does not match"]),
        (_change_a_count, ["FAILED: record #", "inclusion proof does not verify"]),
    ],
    ids=["edited-verdict", "changed-record"],
)
def test_the_downloaded_zipapp_names_what_broke_in_a_tampered_bundle(
    venv_python: Path, downloads: Path, change, named: list[str]
) -> None:
    bundle = json.loads((downloads / "bundle.json").read_text())
    change(bundle)
    (downloads / "tampered.json").write_text(json.dumps(bundle))
    result = verify(venv_python, downloads, "tampered.json")
    assert result.returncode == 1
    assert result.stdout == ""
    for words in named:
        assert words in result.stderr
