"""The image's build logic, checked without a container engine: `make image`'s build arguments
and the Containerfile's install step, run by sh in a sandbox with a stub python3 and pip.

No engine runs where these tests were written, so the image itself is not built here; these
tests pin what can be pinned without one: which arguments reach the build, and what the install
step does with them (an index, a CA bundle, an offline wheelhouse, and its refusals).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONTAINERFILE = (ROOT / "Containerfile").read_text(encoding="utf-8")


def _make_image(*variables: str) -> str:
    done = subprocess.run(
        ["make", "-s", "-n", "-C", str(ROOT), "image", "CONTAINER=podman", *variables],
        capture_output=True,
        text=True,
        check=True,
    )
    [build] = [line for line in done.stdout.splitlines() if line.startswith("podman build")]
    return build


@pytest.mark.process
def test_make_image_passes_only_the_arguments_given() -> None:
    """Check that `make image` passes INDEX_URL, CA_BUNDLE and WHEELHOUSE as build arguments,
    and none when they are not given (the default build is unchanged)."""
    assert "--build-arg" not in _make_image()
    build = _make_image(
        "INDEX_URL=https://mirror.test/simple", "CA_BUNDLE=corp-ca.pem", "WHEELHOUSE=dist/wheelhouse"
    )
    assert "--build-arg PIP_INDEX_URL=https://mirror.test/simple" in build
    assert "--build-arg CA_BUNDLE=corp-ca.pem" in build and "--build-arg WHEELHOUSE=dist/wheelhouse" in build


def test_every_build_argument_is_declared_in_the_build_stage() -> None:
    """Check that each argument make passes is an ARG of the build stage (an undeclared one is
    silently ignored by the engine)."""
    stage = CONTAINERFILE.split("FROM base AS build", 1)[1].split("\nFROM ", 1)[0]
    declared = set(re.findall(r"^ARG (\w+)", stage, re.M))
    assert {"PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "CA_BUNDLE", "WHEELHOUSE"} <= declared


def test_the_build_context_keeps_the_wheelhouse_and_nothing_else_of_dist() -> None:
    """Check that both ignore files (podman reads one, docker the other) let dist/wheelhouse in."""
    for name in (".containerignore", ".dockerignore"):
        lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
        assert "dist/*" in lines and "!dist/wheelhouse" in lines and "dist" not in lines


def _install_step() -> str:
    """The build stage's RUN command, as sh would get it."""
    stage = CONTAINERFILE.split("FROM base AS build", 1)[1].split("\nFROM ", 1)[0]
    run = stage.split("\nRUN ", 1)[1]
    return run.replace("\\\n", " ")


STUB_PYTHON = """#!/bin/sh
# python3 -m venv DIR: make DIR/bin/pip, a stub that logs its arguments and pip's variables
dir=$3
mkdir -p "$dir/bin"
cat > "$dir/bin/pip" <<'PIP'
#!/bin/sh
echo "pip $* | index=${PIP_INDEX_URL-unset} extra=${PIP_EXTRA_INDEX_URL-unset}" \\
    "cert=${PIP_CERT-unset}" >> "$LOG"
PIP
chmod +x "$dir/bin/pip"
"""


def _run_install(tmp_path: Path, **arguments: str) -> tuple[int, str, list[str]]:
    """Run the install step with /src and /opt/mockserver moved into ``tmp_path``."""
    src, venv, bin_dir = tmp_path / "src", tmp_path / "venv", tmp_path / "bin"
    for directory in (src, bin_dir):
        directory.mkdir(exist_ok=True)
    (bin_dir / "python3").write_text(STUB_PYTHON)
    (bin_dir / "python3").chmod(0o755)
    log = tmp_path / "pip.log"
    script = _install_step().replace("/opt/mockserver", str(venv)).replace("/src", str(src))
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "LOG": str(log), **arguments}
    done = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True, check=False)
    calls = log.read_text().splitlines() if log.exists() else []
    return done.returncode, done.stderr, calls


@pytest.mark.process
def test_the_default_install_is_from_the_source_with_no_extra_settings(tmp_path: Path) -> None:
    """Check the default build: pip installs the checkout with [contract], and an empty
    argument is unset, never handed to pip as an empty index URL."""
    code, err, calls = _run_install(tmp_path, PIP_INDEX_URL="", PIP_EXTRA_INDEX_URL="", CA_BUNDLE="")
    assert code == 0, err
    assert calls[0].startswith(f"pip install --no-cache-dir --quiet {tmp_path / 'src'}[contract] |")
    assert calls[0].endswith("index=unset extra=unset cert=unset")
    assert calls[-1].startswith("pip uninstall --yes --quiet pip")


@pytest.mark.process
def test_an_index_and_a_ca_bundle_reach_pip(tmp_path: Path) -> None:
    """Check that behind a TLS-intercepting proxy pip gets the index and trusts the bundle."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "corp-ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    code, err, calls = _run_install(
        tmp_path, PIP_INDEX_URL="https://mirror.test/simple", CA_BUNDLE="corp-ca.pem"
    )
    assert code == 0, err
    assert f"index=https://mirror.test/simple extra=unset cert={tmp_path / 'src' / 'corp-ca.pem'}" in calls[0]


@pytest.mark.process
def test_a_wheelhouse_installs_offline(tmp_path: Path) -> None:
    """Check that WHEELHOUSE installs with no index at all, from the directory."""
    (tmp_path / "src" / "dist" / "wheelhouse").mkdir(parents=True)
    code, err, calls = _run_install(tmp_path, WHEELHOUSE="dist/wheelhouse")
    assert code == 0, err
    wheels = tmp_path / "src" / "dist" / "wheelhouse"
    assert f"--no-index --find-links {wheels} learninglogin-mockserver[contract]" in calls[0]


@pytest.mark.process
@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ({"CA_BUNDLE": "missing.pem"}, "CA_BUNDLE=missing.pem: no such file in the build context"),
        ({"WHEELHOUSE": "dist/wheelhouse"}, "WHEELHOUSE=dist/wheelhouse: no such directory"),
    ],
)
def test_a_missing_file_stops_the_build_in_one_line(
    tmp_path: Path, argument: dict[str, str], message: str
) -> None:
    """Check that a CA bundle or wheelhouse that is not in the context stops the build, naming it."""
    code, err, calls = _run_install(tmp_path, **argument)
    assert code == 2 and err.startswith("mockserver: error: ") and message in err and calls == []


def test_the_ca_bundle_stays_out_of_the_final_image() -> None:
    """Check that the final stage copies only the virtualenv from the build stage (not /src,
    where a CA bundle and the wheelhouse are)."""
    final = CONTAINERFILE.rsplit("\nFROM base\n", 1)[1]
    assert re.findall(r"^COPY .*$", final, re.M) == ["COPY --from=build /opt/mockserver /opt/mockserver"]


@pytest.mark.process
def test_the_documented_report_recipe_is_what_image_test_runs() -> None:
    """Check that the getting-started recipe for reports out of the container (--user, a mounted
    directory as the working directory) is the one `make image-test` runs, and the script parses."""
    page = (ROOT / "docs" / "getting-started.md").read_text(encoding="utf-8")
    script = (ROOT / "tools" / "image_test.sh").read_text(encoding="utf-8")
    for part in ('--user "$(id -u):$(id -g)"', "-w /reports", "--report contract.md"):
        assert part in page and part in script, part
    subprocess.run(["sh", "-n", str(ROOT / "tools" / "image_test.sh")], check=True)
