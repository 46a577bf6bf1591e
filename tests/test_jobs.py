"""Background jobs (issue 18, item 5): on RQ over Redis, or in process without it; recorded
with their progress in a Job row the admin shows."""

import importlib
import io
import os
import zipfile
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.urls import reverse

from archive.jobs import Upload, job_start, run_job
from archive.models import Article, Job, JobFile
from tests.factories import ArticleFactory, UserFactory

CAPTURES = Path(__file__).resolve().parent / "captures"
# A Redis database of the tests' own: they flush it.
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/2")
immutable = importlib.import_module("archive.migrations.0002_raw_capture_immutable")


@pytest.fixture
def in_process(settings):
    settings.JOBS_REDIS_URL = ""


@pytest.fixture
def redis_queue(settings):
    client = redis.Redis.from_url(TEST_REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("REQUIRE_REDIS"):
            pytest.fail(f"REQUIRE_REDIS is set but no Redis answers at {TEST_REDIS_URL}")
        pytest.skip(f"no Redis at {TEST_REDIS_URL}")
    settings.JOBS_REDIS_URL = TEST_REDIS_URL
    settings.RQ_QUEUES = {"default": {"URL": TEST_REDIS_URL, "DEFAULT_TIMEOUT": 600}}
    client.flushdb()
    import django_rq

    yield django_rq.get_queue("default")
    client.flushdb()


def _corrupt(article):
    create, drop = immutable.SQL[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(drop)
        cursor.execute("UPDATE archive_article SET raw_text = 'x' WHERE id = %s", [article.pk])
        cursor.execute(create)


# --- On the queue -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_job_goes_on_the_redis_queue_and_a_worker_runs_it_recording_progress(
    redis_queue, django_capture_on_commit_callbacks
):
    from rq import SimpleWorker

    ArticleFactory.create_batch(3)
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        job = job_start(kind=Job.Kind.VERIFY_FIXITY, by=user)
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
    assert job.queue_id == f"archive-job-{job.pk}"
    assert redis_queue.job_ids == [job.queue_id]

    SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert (job.done, job.total) == (3, 3)
    assert job.result["checked"] == 3
    assert job.message == "Fixity verified: 3 captures match."
    assert job.started_by == user
    assert job.started_at is not None and job.finished_at >= job.started_at
    assert redis_queue.job_ids == []


@pytest.mark.django_db
def test_nothing_is_queued_when_the_transaction_that_started_the_job_rolls_back(
    redis_queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job_start(kind=Job.Kind.VERIFY_FIXITY)
    # Queued only on commit: a worker never looks for a job row that was not committed.
    assert redis_queue.job_ids == []
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_a_job_delivered_twice_runs_once(in_process):
    job = job_start(kind=Job.Kind.VERIFY_FIXITY)
    finished_at = job.finished_at
    assert run_job(job.pk) == Job.Status.SUCCEEDED
    job.refresh_from_db()
    assert job.finished_at == finished_at


# --- In process ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_without_redis_a_job_runs_in_process_and_is_still_recorded(in_process):
    ArticleFactory.create_batch(2)
    job = job_start(kind=Job.Kind.VERIFY_FIXITY)
    assert job.status == Job.Status.SUCCEEDED
    assert (job.done, job.total) == (2, 2)
    assert job.queue_id == ""
    assert Job.objects.get().result["ok"] is True


@pytest.mark.django_db
def test_a_fixity_job_that_finds_a_mismatch_fails_and_names_the_article(in_process):
    _good, bad = ArticleFactory.create_batch(2)
    _corrupt(bad)
    job = job_start(kind=Job.Kind.VERIFY_FIXITY)
    assert job.status == Job.Status.FAILED
    assert f"articles {bad.pk}" in job.message
    assert [m["article_id"] for m in job.result["mismatches"]] == [bad.pk]


@pytest.mark.django_db
def test_a_search_index_job_rebuilds_and_reports_counts(in_process):
    ArticleFactory.create_batch(2)
    job = job_start(kind=Job.Kind.REBUILD_SEARCH_INDEX)
    assert job.status == Job.Status.SUCCEEDED
    assert job.result["articles"] == 2
    assert (job.done, job.total) == (1, 1)


@pytest.mark.django_db
def test_a_job_that_raises_is_recorded_as_failed_with_the_reason(in_process, monkeypatch):
    from archive import jobs

    def explode(job, progress):
        progress(1, 4)
        raise RuntimeError("the disk is full")

    monkeypatch.setitem(jobs.RUNNERS, Job.Kind.VERIFY_FIXITY, explode)
    job = job_start(kind=Job.Kind.VERIFY_FIXITY)
    assert job.status == Job.Status.FAILED
    assert "the disk is full" in job.message
    assert (job.done, job.total) == (1, 4)


@pytest.mark.django_db
def test_a_batch_import_records_each_file_and_its_progress(in_process):
    good = (CAPTURES / "pokrovsk_ap.txt").read_bytes()
    job = job_start(
        kind=Job.Kind.IMPORT,
        files=[Upload("good.txt", good), Upload("empty.txt", b"   "), Upload("again.txt", good)],
    )
    assert job.status == Job.Status.FAILED  # one file of three was refused
    assert (job.done, job.total) == (3, 3)
    files = list(job.files.values_list("name", "status", "reason"))
    assert files == [
        ("good.txt", "created", ""),
        ("empty.txt", "failed", "empty"),
        ("again.txt", "already_imported", ""),
    ]
    assert Article.objects.count() == 1
    assert job.files.get(name="good.txt").article == Article.objects.get()
    assert job.message == "3 file(s): 1 created, 1 already imported, 1 failed."


@pytest.mark.django_db
def test_a_dry_run_batch_writes_no_article(in_process):
    good = (CAPTURES / "pokrovsk_ap.txt").read_bytes()
    job = job_start(kind=Job.Kind.IMPORT, options={"dry_run": True}, files=[Upload("a", good)])
    assert job.status == Job.Status.SUCCEEDED
    assert job.files.get().status == JobFile.Status.WOULD_CREATE
    assert not Article.objects.exists()


# --- In the admin -------------------------------------------------------------------------------

IMPORT_URL = "/admin/archive/import/"


def _zip(members: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    buffer.seek(0)
    buffer.name = "batch.zip"
    return buffer


@pytest.mark.django_db
def test_an_uploaded_zip_of_two_good_captures_and_a_bad_one_gives_two_articles_and_an_error(
    client, editor, in_process
):
    client.force_login(editor)
    upload = _zip(
        {
            "one.txt": (CAPTURES / "pokrovsk_ap.txt").read_bytes(),
            "two.txt": (CAPTURES / "kharkiv_afp.txt").read_bytes(),
            "bad.txt": "“ ” « » — …".encode(),
            "__MACOSX/._one.txt": b"resource fork",
            "folder/": b"",
        }
    )
    response = client.post(IMPORT_URL, {"file": upload})
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:archive_job_change", args=[job.pk])
    assert Article.objects.count() == 2
    bad = job.files.get(name="batch.zip/bad.txt")
    assert (bad.status, bad.reason) == ("failed", "no_words")
    assert "no words" in bad.message
    assert job.files.count() == 3
    assert job.started_by == editor
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"no words" in page.content
    assert b'<progress value="3" max="3"' in page.content


@pytest.mark.django_db
def test_several_uploaded_files_are_a_batch_too(client, editor, in_process):
    client.force_login(editor)
    files = []
    for name in ("pokrovsk_ap.txt", "kharkiv_afp.txt"):
        f = io.BytesIO((CAPTURES / name).read_bytes())
        f.name = name
        files.append(f)
    response = client.post(IMPORT_URL, {"file": files})
    assert response.status_code == 302
    assert Job.objects.get().status == Job.Status.SUCCEEDED
    assert Article.objects.count() == 2


@pytest.mark.django_db
def test_a_zip_member_over_the_size_limit_is_refused_by_name_whatever_the_zip_claims(
    client, editor, in_process, settings
):
    settings.INGEST_MAX_BYTES = 2000
    client.force_login(editor)
    upload = _zip(
        {"big.txt": b"word " * 1000, "ok.txt": (CAPTURES / "pokrovsk_ap.txt").read_bytes()}
    )
    client.post(IMPORT_URL, {"file": upload})
    big = JobFile.objects.get(name="batch.zip/big.txt")
    assert (big.status, big.reason) == ("failed", "too_large")
    assert big.size == 2001  # read no further than one byte past the limit
    assert Article.objects.count() == 1


@pytest.mark.django_db
def test_a_damaged_zip_is_refused_and_starts_no_job(client, editor, in_process):
    client.force_login(editor)
    upload = io.BytesIO(b"PK\x03\x04 not really a zip")
    upload.name = "broken.zip"
    response = client.post(IMPORT_URL, {"file": upload})
    assert response.status_code == 400
    assert "not a zip archive that can be read" in response.content.decode()
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_too_many_files_in_one_batch_are_refused_and_start_no_job(
    client, editor, in_process, settings
):
    settings.INGEST_MAX_BATCH_FILES = 2
    client.force_login(editor)
    response = client.post(IMPORT_URL, {"file": _zip({f"{i}.txt": b"words" for i in range(3)})})
    assert response.status_code == 400
    assert "More than 2 files" in response.content.decode()
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_an_editor_starts_a_fixity_job_from_the_job_list(client, editor, in_process):
    ArticleFactory()
    client.force_login(editor)
    changelist = client.get(reverse("admin:archive_job_changelist"))
    start = reverse("admin:archive_job_start", args=["verify_fixity"])
    assert start in changelist.content.decode()
    response = client.post(start)
    job = Job.objects.get()
    assert response.status_code == 302
    assert (job.kind, job.status, job.started_by) == ("verify_fixity", "succeeded", editor)
    listing = client.get(reverse("admin:archive_job_changelist")).content.decode()
    assert "Fixity verified: 1 captures match." in listing


@pytest.mark.django_db
def test_the_job_list_refreshes_itself_while_a_job_is_running(client, editor):
    Job.objects.create(kind=Job.Kind.VERIFY_FIXITY, status=Job.Status.RUNNING, done=5, total=10)
    client.force_login(editor)
    page = client.get(reverse("admin:archive_job_changelist")).content.decode()
    assert '<meta http-equiv="refresh"' in page
    assert '<progress value="5" max="10"' in page


@pytest.mark.django_db
def test_a_contributor_sees_jobs_but_may_not_start_maintenance_or_change_them(
    client, contributor, in_process
):
    client.force_login(contributor)
    changelist = client.get(reverse("admin:archive_job_changelist"))
    assert changelist.status_code == 200
    start = reverse("admin:archive_job_start", args=["rebuild_search_index"])
    assert start not in changelist.content.decode()
    assert client.post(start).status_code == 403
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_only_maintenance_jobs_start_from_the_admin_and_only_by_post(client, editor, in_process):
    client.force_login(editor)
    assert client.get(reverse("admin:archive_job_start", args=["verify_fixity"])).status_code == 405
    assert client.post(reverse("admin:archive_job_start", args=["import"])).status_code == 403
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_jobs_are_read_only_in_the_admin(client, editor, in_process):
    job = job_start(kind=Job.Kind.VERIFY_FIXITY)
    client.force_login(editor)
    url = reverse("admin:archive_job_change", args=[job.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"message": "changed"})
    job.refresh_from_db()
    assert job.message != "changed"
    assert client.get(reverse("admin:archive_job_add")).status_code == 403
    assert client.post(reverse("admin:archive_job_delete", args=[job.pk])).status_code == 403


@pytest.mark.django_db
def test_a_job_that_cannot_reach_redis_is_recorded_as_failed_not_left_queued(
    settings, django_capture_on_commit_callbacks
):
    # Nothing listens on port 1: the enqueue fails at commit.
    settings.JOBS_REDIS_URL = "redis://127.0.0.1:1/2"
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/2"}}
    with django_capture_on_commit_callbacks(execute=True):
        job = job_start(kind=Job.Kind.VERIFY_FIXITY)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "Could not be queued" in job.message
