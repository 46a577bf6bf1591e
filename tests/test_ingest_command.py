"""`python manage.py import_dispatches`: per-file lines, summary, --json, --dry-run, exit status."""

import json
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from archive.ingest.evaluation import strip_editorial_work
from archive.models import Article, Testimony

SEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "dispatches"
CAPTURES = Path(__file__).resolve().parent / "captures"


@pytest.fixture
def gazetteer(seed):
    strip_editorial_work(throwaway_database=True)


@pytest.fixture
def mixed(tmp_path):
    """A directory of two good captures and four bad files."""
    shutil.copy(SEEDS / "003_3fa2f95ab2507610.txt", tmp_path / "toretsk.txt")
    shutil.copy(CAPTURES / "kharkiv_afp.txt", tmp_path / "kharkiv.txt")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01")
    (tmp_path / "garbled.txt").write_bytes(b"\x80\x81\xfa\xfb\x9d" * 5)
    (tmp_path / "huge.txt").write_bytes(b"word " * 1000)
    return tmp_path


def run(*args) -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("import_dispatches", *map(str, args), stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def test_each_file_gets_a_line_and_the_run_a_summary(gazetteer):
    out, error = run(SEEDS)
    assert error is None
    lines = out.strip().splitlines()
    created = [line for line in lines if ": created article" in line]
    assert len(created) == 5
    assert "13 testimonies proposed" in next(line for line in created if "002_" in line)
    assert "places linked" in created[0]
    assert "warning: No headline in the capture" in out
    assert lines[-1].startswith(
        "5 file(s): 5 created, 0 already imported, 0 failed; 39 testimonies"
    )


def test_reimporting_says_already_imported_and_changes_nothing(gazetteer):
    run(SEEDS)
    counts = Article.objects.count(), Testimony.objects.count()
    out, error = run(SEEDS / "000_aa012ed5e0351d5e.txt")
    assert error is None
    assert "000_aa012ed5e0351d5e.txt: already imported as article" in out
    assert (Article.objects.count(), Testimony.objects.count()) == counts


def test_a_mixed_directory_imports_the_good_and_reports_each_bad_file(gazetteer, mixed, settings):
    settings.INGEST_MAX_BYTES = 4000
    out, error = run(mixed)
    assert error is not None and error.returncode == 1
    assert "4 of 6 file(s) failed" in str(error)
    assert "empty.txt: failed (empty): The capture is empty." in out
    assert "photo.jpg: failed (binary)" in out
    assert "garbled.txt: failed (unknown_encoding)" in out
    assert "huge.txt: failed (too_large)" in out
    assert Article.objects.count() == 2
    assert (
        out.strip()
        .splitlines()[-1]
        .startswith("6 file(s): 2 created, 0 already imported, 4 failed")
    )


def test_json_output_has_a_summary_and_one_entry_per_file(gazetteer, mixed, settings):
    settings.INGEST_MAX_BYTES = 4000
    out, error = run(mixed, "--json")
    assert error is not None
    data = json.loads(out)
    assert set(data) == {"dry_run", "summary", "files"}
    assert data["summary"] == {
        "files": 6,
        "created": 2,
        "already_imported": 0,
        "failed": 4,
        "testimonies_proposed": data["summary"]["testimonies_proposed"],
        "places_linked": data["summary"]["places_linked"],
        "warnings": data["summary"]["warnings"],
    }
    entry = next(f for f in data["files"] if f["filename"].endswith("toretsk.txt"))
    assert entry["status"] == "created"
    assert entry["source"] == "Reuters"
    assert len(entry["testimonies"]) == 13
    assert set(entry["testimonies"][0]) == {
        "start",
        "end",
        "quote",
        "speaker",
        "speaker_id",
        "speaker_age",
        "role",
    }
    assert {f["reason"] for f in data["files"] if f["status"] == "failed"} == {
        "empty",
        "binary",
        "unknown_encoding",
        "too_large",
    }


def test_dry_run_writes_nothing(gazetteer):
    out, error = run(SEEDS, "--dry-run")
    assert error is None
    assert out.count(": would create") == 5
    assert "5 would be created" in out
    assert not Article.objects.exists()


def test_a_missing_path_fails_clearly(db):
    out, error = run("/no/such/capture.txt")
    assert error is not None
    assert "/no/such/capture.txt: failed (missing): No such file." in out


def test_many_files_show_a_progress_bar_on_stderr_but_not_with_json(gazetteer, tmp_path, capsys):
    for n in range(12):
        (tmp_path / f"{n:02}.txt").write_text(
            f"Dispatch {n} from Toretsk\n\nResidents wait for the bus number {n}.\n\n"
            f"“We are still here, {n} of us,” said Ivan Petrenko, a retired miner."
        )
    call_command("import_dispatches", str(tmp_path), stdout=StringIO())
    assert "12/12" in capsys.readouterr().err
    call_command("import_dispatches", str(tmp_path), "--json", stdout=StringIO())
    assert capsys.readouterr().err == ""


def test_an_unexpected_error_in_one_file_does_not_stop_the_others(gazetteer, tmp_path, monkeypatch):
    from archive.ingest import service

    shutil.copy(SEEDS / "000_aa012ed5e0351d5e.txt", tmp_path / "a.txt")
    shutil.copy(SEEDS / "003_3fa2f95ab2507610.txt", tmp_path / "b.txt")
    real_write = service._write

    def write(analysis, **kwargs):
        if "Krassnikov" in analysis.body:
            raise RuntimeError("disk on fire")
        return real_write(analysis, **kwargs)

    monkeypatch.setattr(service, "_write", write)
    out, error = run(tmp_path)
    assert error is not None and error.returncode == 1
    assert "a.txt: failed (error): unexpected RuntimeError: disk on fire" in out
    assert "b.txt: created article" in out
    assert Article.objects.count() == 1
