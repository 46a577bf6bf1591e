"""Import raw captures (files, or directories of them) as draft dispatches."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import BaseCommand, CommandError
from tqdm import tqdm

from archive.ingest.service import (
    ImportRefused,
    ImportResult,
    Reference,
    dispatch_import,
    max_bytes,
)

# With this many files or more, a progress bar shows on stderr (never with --json).
PROGRESS_THRESHOLD = 10


def collect_paths(paths: list[str]) -> list[Path]:
    """Files named, and the files of directories named (recursively, hidden ones skipped)."""
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found += [Path(root) / f for f in sorted(files) if not f.startswith(".")]
        else:
            found.append(path)
    return found


def import_path(path: Path, *, dry_run: bool, reference: Reference | None = None) -> ImportResult:
    """Import one file; every failure becomes a result with a reason, never an exception."""
    name = str(path)
    try:
        if not path.exists():
            raise ImportRefused("No such file.", reason="missing")
        if not path.is_file():
            raise ImportRefused("Not a regular file.", reason="not_a_file")
        size = path.stat().st_size
        if size > max_bytes():
            # Refused before reading, so an enormous file never reaches memory.
            raise ImportRefused(
                f"The capture is {size:,} bytes, over the limit of {max_bytes():,} "
                "(INGEST_MAX_BYTES).",
                reason="too_large",
            )
        return dispatch_import(
            raw=path.read_bytes(), filename=name, dry_run=dry_run, reference=reference
        )
    except ImportRefused as exc:
        return ImportResult(
            filename=name, status="failed", reason=exc.reason, message=exc.messages[0]
        )
    except (ValidationError, PermissionDenied) as exc:
        message = "; ".join(getattr(exc, "messages", [str(exc)]))
        return ImportResult(filename=name, status="failed", reason="invalid", message=message)
    except Exception as exc:
        # One file's unexpected failure must not stop a batch: it is reported (with its
        # type, for the bug report) and, its transaction rolled back, nothing of it remains.
        if isinstance(exc, OSError):
            return ImportResult(
                filename=name,
                status="failed",
                reason="unreadable",
                message=exc.strerror or str(exc),
            )
        return ImportResult(
            filename=name,
            status="failed",
            reason="error",
            message=f"unexpected {type(exc).__name__}: {exc}",
        )


class Command(BaseCommand):
    help = (
        "Import raw captures as draft articles with proposed testimonies. Each file is one "
        "transaction: it is imported whole or not at all. Exit status 1 if any file failed."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Capture files or directories of them.")
        parser.add_argument("--json", action="store_true", help="Print one JSON document.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Analyse and report; write nothing."
        )
        parser.add_argument("--no-progress", action="store_true", help="Never show a progress bar.")

    def handle(self, *args, paths, json: bool = False, dry_run: bool = False, **options):
        files = collect_paths(paths)
        show_progress = not json and not options["no_progress"] and len(files) >= PROGRESS_THRESHOLD
        results: list[ImportResult] = []
        reference = Reference.load()
        with tqdm(total=len(files), file=sys.stderr, disable=not show_progress, unit="file") as bar:
            for path in files:
                result = import_path(path, dry_run=dry_run, reference=reference)
                results.append(result)
                if not json:
                    line = self.describe(result)
                    # Lift the bar off stderr while the line goes to stdout.
                    with tqdm.external_write_mode(file=sys.stderr):
                        self.stdout.write(line)
                bar.update(1)
        summary = summarise(results, dry_run=dry_run)
        if json:
            self.stdout.write(
                _dumps(
                    {
                        "dry_run": dry_run,
                        "summary": summary,
                        "files": [r.as_dict() for r in results],
                    }
                )
            )
        else:
            self.stdout.write(self.summary_line(summary, dry_run=dry_run))
        if summary["failed"]:
            raise CommandError(
                f"{summary['failed']} of {len(results)} file(s) failed.", returncode=1
            )

    def describe(self, r: ImportResult) -> str:
        if r.status == "failed":
            return self.style.ERROR(f"{r.filename}: failed ({r.reason}): {r.message}")
        if r.status == "already_imported":
            return (
                f"{r.filename}: already imported as article {r.article_id} "
                f"({r.article_slug}); nothing changed"
            )
        verb = "created" if r.status == "created" else "would create"
        where = f" article {r.article_id} ({r.article_slug})" if r.article_id else ""
        parts = [
            f"{r.filename}: {verb}{where} “{r.headline[:70]}”",
            f"source {r.source or 'unattributed'}",
            f"{len(r.testimonies)} testimonies proposed",
            f"{len(r.places)} places linked" + (f" ({', '.join(r.places)})" if r.places else ""),
        ]
        if r.dropped_paragraphs:
            parts.append(f"{r.dropped_paragraphs} repeated paragraphs dropped")
        line = "; ".join(parts)
        for warning in r.warnings:
            line += "\n" + self.style.WARNING(f"    warning: {warning}")
        return self.style.SUCCESS(line) if r.status == "created" else line

    def summary_line(self, summary: dict, *, dry_run: bool) -> str:
        created = "would be created" if dry_run else "created"
        return (
            f"{summary['files']} file(s): {summary['created']} {created}, "
            f"{summary['already_imported']} already imported, {summary['failed']} failed; "
            f"{summary['testimonies_proposed']} testimonies proposed, "
            f"{summary['places_linked']} places linked, {summary['warnings']} warnings."
        )


def summarise(results: list[ImportResult], *, dry_run: bool) -> dict:
    new = [r for r in results if r.status in ("created", "would_create")]
    return {
        "files": len(results),
        "created": len(new),
        "already_imported": sum(r.status == "already_imported" for r in results),
        "failed": sum(r.failed for r in results),
        "testimonies_proposed": sum(len(r.testimonies) for r in new),
        "places_linked": sum(len(r.places) for r in new),
        "warnings": sum(len(r.warnings) for r in new),
    }


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
