"""Background jobs: long work (batch imports, index rebuilds, fixity checks) outside the request.

Jobs go on an RQ queue in Redis (`JOBS_REDIS_URL`, by default `REDIS_URL`), where any number of
`python manage.py rqworker default` processes, on any machine that reaches Redis and the
database, take them. Without a Redis URL (a laptop) a job runs in the process that starts it,
at once; either way the `Job` row records its progress and outcome for the admin.

Everything a worker needs is in the database (the job's options and, for imports, the files'
bytes), so a worker on another machine needs no shared disk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

from archive.models import Job, JobFile

logger = logging.getLogger(__name__)

# The RQ queue the jobs go on (a worker runs `manage.py rqworker default`).
QUEUE_NAME = "default"
# Progress is written at most once per this many steps (and at the last), so that a fixity
# check over a million captures does not write a million rows' worth of updates.
PROGRESS_EVERY = 500


@dataclass(frozen=True)
class Upload:
    """A file an editor uploaded for a batch import."""

    name: str
    content: bytes


def uses_queue() -> bool:
    """Whether jobs go to Redis (True) or run in the process that starts them (False)."""
    return bool(getattr(settings, "JOBS_REDIS_URL", ""))


# --- Starting jobs ------------------------------------------------------------------------------


def job_start(
    *,
    kind: str,
    by: AbstractBaseUser | None = None,
    options: dict | None = None,
    files: Iterable[Upload] = (),
) -> Job:
    """Record a job and queue it (or, with no Redis, run it now). Returns the Job as it stands:
    queued, or finished when it ran in process."""
    if kind not in Job.Kind.values:
        raise ValidationError(f"Unknown job kind “{kind}”.")
    files = list(files)
    if kind == Job.Kind.IMPORT and not files:
        raise ValidationError("A batch import needs at least one file.")
    with transaction.atomic():
        job = Job.objects.create(
            kind=kind,
            started_by=by,
            options=options or {},
            total=len(files),
            message="Waiting for a worker." if uses_queue() else "Starting.",
        )
        JobFile.objects.bulk_create(
            JobFile(job=job, position=i, name=f.name[:500], content=f.content, size=len(f.content))
            for i, f in enumerate(files)
        )
        if uses_queue():
            job.queue_id = f"archive-job-{job.pk}"
            job.save(update_fields=["queue_id"])
            # Enqueued once this transaction commits, so a worker never looks for a job row
            # that is not there yet (or never will be).
            transaction.on_commit(lambda: _enqueue(job))
    if not uses_queue():
        run_job(job.pk)
        job.refresh_from_db()
    return job


def _queue():
    import django_rq

    # "auto": enqueue now; job_start already waits for the commit itself.
    return django_rq.get_queue(QUEUE_NAME, commit_mode="auto")


def _enqueue(job: Job) -> None:
    try:
        _queue().enqueue(
            run_job,
            job.pk,
            job_id=job.queue_id,
            job_timeout=settings.JOBS_TIMEOUT,
            description=f"{job.get_kind_display()} #{job.pk}",
        )
    except Exception as exc:
        # Redis down: the job is recorded as failed, with why, rather than waiting forever.
        logger.exception("Job %s could not be queued", job.pk)
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.FAILED,
            finished_at=timezone.now(),
            message=f"Could not be queued (is Redis at JOBS_REDIS_URL running?): {exc}"[:2000],
        )


# --- Running jobs -------------------------------------------------------------------------------


class Progress:
    """Writes a job's progress as it goes, committed at once so the admin sees it."""

    def __init__(self, job: Job):
        self.job = job
        self._written = -1

    def __call__(self, done: int, total: int | None = None, message: str | None = None) -> None:
        total = self.job.total if total is None else total
        news = (
            self._written < 0
            or total != self.job.total
            or (total and done >= total)
            or done - self._written >= PROGRESS_EVERY
            or message is not None
        )
        if not news:
            return
        fields = {"done": min(done, total) if total else done, "total": total}
        if total == 0:
            fields["done"] = 0
        if message is not None:
            fields["message"] = message
        Job.objects.filter(pk=self.job.pk).update(**fields)
        for name, value in fields.items():
            setattr(self.job, name, value)
        self._written = done


def run_job(job_id: int) -> str:
    """The worker's entry point (and the in-process one): run the job, record the outcome."""
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now(), message="Running."
    )
    job = Job.objects.get(pk=job_id)
    if not claimed:
        # Delivered twice (a worker restarted mid-job): the first run's record stands.
        return job.status
    progress = Progress(job)
    try:
        result, message, ok = RUNNERS[job.kind](job, progress)
    except Exception as exc:
        logger.exception("Job %s failed", job.pk)
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.FAILED,
            finished_at=timezone.now(),
            message=f"Failed: {type(exc).__name__}: {exc}"[:2000],
        )
        return Job.Status.FAILED
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.SUCCEEDED if ok else Job.Status.FAILED,
        finished_at=timezone.now(),
        message=message,
        result=result,
    )
    return Job.Status.SUCCEEDED if ok else Job.Status.FAILED


def _run_import(job: Job, progress: Progress) -> tuple[dict, str, bool]:
    from archive.ingest.service import ImportRefused, Reference, dispatch_import

    dry_run = bool(job.options.get("dry_run"))
    reference = Reference.load()
    counts = dict.fromkeys(JobFile.Status.values, 0)
    files = list(job.files.order_by("position").values_list("pk", flat=True))
    for done, pk in enumerate(files, start=1):
        jobfile = JobFile.objects.get(pk=pk)
        if jobfile.status != JobFile.Status.PENDING:
            counts[jobfile.status] += 1
            continue
        fields: dict = {}
        try:
            # One transaction per capture (dispatch_import's): a refused file writes nothing
            # and does not stop the others.
            result = dispatch_import(
                raw=bytes(jobfile.content),
                filename=jobfile.name,
                by=job.started_by,
                dry_run=dry_run,
                reference=reference,
            )
        except ImportRefused as exc:
            fields = {"status": JobFile.Status.FAILED, "reason": exc.reason}
            fields["message"] = exc.messages[0]
        except ValidationError as exc:
            fields = {"status": JobFile.Status.FAILED, "reason": "invalid"}
            fields["message"] = "; ".join(exc.messages)
        except Exception as exc:
            logger.exception("Job %s: importing %s failed", job.pk, jobfile.name)
            fields = {"status": JobFile.Status.FAILED, "reason": "error"}
            fields["message"] = f"Unexpected error ({type(exc).__name__}); nothing was written."
        else:
            fields = {
                "status": result.status,
                "article_id": result.article_id,
                "message": result.message or "; ".join(result.warnings),
                "testimonies_proposed": len(result.testimonies),
            }
        JobFile.objects.filter(pk=pk).update(**fields)
        counts[fields["status"]] += 1
        # Every file is a step an editor waits on: progress after each.
        progress(done, len(files), message=f"{done} of {len(files)} files: {jobfile.name}")
    summary = ", ".join(
        f"{n} {JobFile.Status(status).label.lower()}" for status, n in counts.items() if n
    )
    failed = counts[JobFile.Status.FAILED]
    message = f"{len(files)} file(s): {summary}."
    return {"files": len(files), **counts}, message, failed == 0


def _run_rebuild_search_index(job: Job, progress: Progress) -> tuple[dict, str, bool]:
    from archive.search import schema

    connection = connections[job.options.get("database", DEFAULT_DB_ALIAS)]
    progress(0, 1, message="Rebuilding the search index.")
    report = schema.rebuild_everything(connection)
    progress(1, 1)
    message = f"Search index rebuilt: {report.articles} articles, {report.testimonies} testimonies."
    if report.restored_triggers:
        message += f" Restored missing index triggers: {', '.join(report.restored_triggers)}."
    result = {
        "articles": report.articles,
        "testimonies": report.testimonies,
        "restored_triggers": report.restored_triggers,
    }
    return result, message, True


def _run_verify_fixity(job: Job, progress: Progress) -> tuple[dict, str, bool]:
    from archive.fixity import verify_fixity

    report = verify_fixity(
        using=job.options.get("database", DEFAULT_DB_ALIAS),
        progress=lambda done, total: progress(done, total),
    )
    if report.ok:
        message = f"Fixity verified: {report.checked} captures match."
    else:
        ids = ", ".join(str(m.article_id) for m in report.mismatches[:20])
        message = (
            f"{len(report.mismatches)} of {report.checked} captures do not match their stored "
            f"SHA-256 (articles {ids}{' …' if len(report.mismatches) > 20 else ''})."
        )
    return report.as_dict(), message, report.ok


RUNNERS: dict[str, Callable[[Job, Progress], tuple[dict, str, bool]]] = {
    Job.Kind.IMPORT: _run_import,
    Job.Kind.REBUILD_SEARCH_INDEX: _run_rebuild_search_index,
    Job.Kind.VERIFY_FIXITY: _run_verify_fixity,
}
