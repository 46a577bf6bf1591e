"""CI's verdict: `.ci/run` ends with one plain line counted from the pytest runs' JUnit reports."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COUNT = ROOT / ".ci" / "count_tests.py"
# The plain closing line CI's verdict is read from: one word and a colon, then the counts.
CLOSING_LINE = re.compile(r"^\w+: (\d+) passed, (\d+) failed, (\d+) skipped$")

SAMPLE_TESTS = """
import pytest

def test_passes():
    pass

def test_passes_too():
    pass

def test_fails():
    assert False

@pytest.mark.skip(reason="not here")
def test_skipped():
    pass

@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown")

def test_errors_in_teardown(broken_teardown):
    pass
"""


def _junit_report(tmp_path: Path, name: str, source: str) -> Path:
    """A real JUnit report, written by pytest itself running `source` in a subprocess."""
    (tmp_path / name).mkdir()
    (tmp_path / name / f"test_{name}.py").write_text(source)
    report = tmp_path / f"{name}.xml"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path / name),
            f"--junitxml={report}",
            str(tmp_path / name),
        ],
        cwd=tmp_path / name,
        # Only pytest's own plugins: the project's (django, hypothesis, playwright …) would make
        # each of these tiny runs as slow as starting the whole suite.
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        capture_output=True,
        check=False,
    )
    return report


def _count(*reports: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(COUNT), *map(str, reports)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("junit")
    return {
        "mixed": _junit_report(tmp_path, "mixed", SAMPLE_TESTS),
        "green": _junit_report(tmp_path, "green", "def test_a():\n    pass\n" * 1),
        "empty": _junit_report(tmp_path, "empty", "x = 1\n"),
    }


def test_closing_line_counts_every_outcome_of_real_pytest_reports(reports):
    result = _count(reports["mixed"], reports["green"])
    last = result.stdout.strip().splitlines()[-1]
    match = CLOSING_LINE.match(last)
    assert match, last
    # 3 passed (2 + 1 green), the failure and the teardown error as two failed, one skipped; the
    # test whose teardown errored is counted once, as failed.
    assert match.groups() == ("3", "2", "1")
    assert result.returncode == 1


def test_all_green_exits_zero(reports):
    result = _count(reports["green"])
    assert result.stdout.strip() == "tests: 1 passed, 0 failed, 0 skipped"
    assert result.returncode == 0


def test_a_run_that_executed_nothing_fails(reports):
    result = _count(reports["empty"])
    assert result.stdout.strip() == "tests: 0 passed, 0 failed, 0 skipped"
    assert result.returncode == 1


def test_a_missing_report_fails_and_still_prints_the_line(reports, tmp_path):
    result = _count(reports["green"], tmp_path / "never-written.xml")
    assert result.stdout.strip() == "tests: 1 passed, 0 failed, 0 skipped"
    assert "no report" in result.stderr
    assert result.returncode == 1


def test_an_unreadable_report_fails(reports, tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text("<testsuites><testsuite")
    result = _count(reports["green"], broken)
    assert "unreadable report" in result.stderr
    assert result.returncode == 1


def test_ci_run_ends_with_the_count_of_both_pytest_runs():
    script = (ROOT / ".ci" / "run").read_text()
    assert '--junitxml="$REPORTS/sqlite.xml"' in script
    assert '--junitxml="$REPORTS/postgresql.xml"' in script
    assert "--durations=25" in script
    commands = [
        line.strip()
        for line in script.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    # Nothing may print after the count: the count, then only the exit status is worked out.
    count_at = next(i for i, line in enumerate(commands) if "count_tests.py" in line)
    assert 'count_tests.py "$REPORTS/sqlite.xml" "$REPORTS/postgresql.xml"' in commands[count_at]
    assert all("echo" not in line and "print" not in line for line in commands[count_at + 1 :])
