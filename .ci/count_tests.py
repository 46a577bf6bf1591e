"""Count what the pytest runs of a CI run executed, from their JUnit XML reports.

Prints one plain closing line, ``tests: N passed, M failed, K skipped``, counted from the reports
and nothing else, and exits 1 when any test failed or errored, when a report is missing or
unreadable (the run it stands for crashed before it could write one), or when nothing ran at all.

Usage: python3 .ci/count_tests.py REPORT.xml [REPORT.xml ...]
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Counts:
    passed: int = 0
    failed: int = 0
    skipped: int = 0

    def line(self) -> str:
        return f"tests: {self.passed} passed, {self.failed} failed, {self.skipped} skipped"


def count_report(path: Path) -> Counts:
    """The counts of one JUnit XML report, read from its test cases, not its summary attributes."""
    root = ElementTree.parse(path).getroot()
    counts = Counts()
    # A case that fails in its call and again in its teardown is reported twice by pytest's
    # JUnit plugin with the same name: count each test once, as failed if any report of it failed.
    outcomes: dict[tuple[str, str], str] = {}
    for case in root.iter("testcase"):
        key = (case.get("classname", ""), case.get("name", ""))
        if case.find("failure") is not None or case.find("error") is not None:
            outcome = "failed"
        elif case.find("skipped") is not None:
            outcome = "skipped"
        else:
            outcome = "passed"
        if outcomes.get(key) != "failed":
            outcomes[key] = outcome
    for outcome in outcomes.values():
        setattr(counts, outcome, getattr(counts, outcome) + 1)
    return counts


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: count_tests.py REPORT.xml [REPORT.xml ...]", file=sys.stderr)
        return 2
    total = Counts()
    problems = []
    for name in argv:
        path = Path(name)
        try:
            counts = count_report(path)
        except FileNotFoundError:
            problems.append(f"{name}: no report (the test run did not finish)")
            continue
        except ElementTree.ParseError as error:
            problems.append(f"{name}: unreadable report ({error})")
            continue
        total.passed += counts.passed
        total.failed += counts.failed
        total.skipped += counts.skipped
    for problem in problems:
        print(problem, file=sys.stderr)
    sys.stderr.flush()
    print(total.line(), flush=True)
    if problems or total.failed or not total.passed:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
