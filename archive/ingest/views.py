"""The admin page where an editor uploads or pastes captures; it calls the same service as
the `import_dispatches` command. One capture is imported in the request; several files, or a
zip of them, become a background job (archive.jobs) whose progress the editor follows."""

from __future__ import annotations

import zipfile
from pathlib import PurePosixPath

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from archive.ingest.service import ImportRefused, ImportResult, dispatch_import, max_bytes
from archive.jobs import Upload, job_start
from archive.models import Job

IMPORT_PERMISSION = "archive.add_article"
DEFAULT_MAX_BATCH_FILES = 500
DEFAULT_MAX_BATCH_BYTES = 200 * 1024 * 1024


def max_batch_files() -> int:
    return int(getattr(settings, "INGEST_MAX_BATCH_FILES", DEFAULT_MAX_BATCH_FILES))


def max_batch_bytes() -> int:
    return int(getattr(settings, "INGEST_MAX_BATCH_BYTES", DEFAULT_MAX_BATCH_BYTES))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def _is_zip(upload) -> bool:
    upload.seek(0)
    magic = upload.read(4)
    upload.seek(0)
    return magic == b"PK\x03\x04" or upload.name.lower().endswith(".zip")


def expand_uploads(uploads) -> list[Upload]:
    """The captures among the uploaded files, a zip's members each as its own capture.

    A member is read up to one byte past the importer's size limit, whatever the zip claims
    its size is (a zip bomb lies): an oversized capture is then refused by the importer, by
    name, like any other."""
    limit = max_bytes()
    captures: list[Upload] = []
    for upload in uploads:
        if not _is_zip(upload):
            captures.append(Upload(upload.name, upload.read(limit + 1)))
            continue
        try:
            with zipfile.ZipFile(upload) as archive:
                for member in archive.infolist():
                    path = PurePosixPath(member.filename)
                    if member.is_dir() or path.parts[0] == "__MACOSX" or path.name.startswith("."):
                        continue
                    if len(captures) > max_batch_files():
                        break
                    with archive.open(member) as stream:
                        captures.append(
                            Upload(f"{upload.name}/{member.filename}", stream.read(limit + 1))
                        )
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError) as exc:
            raise ValidationError(
                f"“{upload.name}” is not a zip archive that can be read ({exc}); nothing imported."
            ) from exc
    if not captures:
        raise ValidationError("The upload holds no files to import.")
    if len(captures) > max_batch_files():
        raise ValidationError(
            f"More than {max_batch_files():,} files in one batch (INGEST_MAX_BATCH_FILES): "
            "split it; nothing imported."
        )
    return captures


class CaptureForm(forms.Form):
    file = MultipleFileField(
        required=False,
        help_text="Raw captures as text files: one is imported at once; several, or a zip of "
        "them, are imported in the background, each as its own capture.",
    )
    text = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 18, "cols": 100}),
        help_text="Or paste the capture here, exactly as received.",
    )
    filename = forms.CharField(
        required=False, max_length=200, help_text="A name for a pasted capture (optional)."
    )
    dry_run = forms.BooleanField(
        required=False, label="Dry run", help_text="Show what would be imported; write nothing."
    )

    def clean(self):
        data = super().clean()
        uploads, text = data.get("file") or [], data.get("text")
        if bool(uploads) == bool(text):
            raise ValidationError("Upload a file or paste a capture (one of the two).")
        data["batch"] = len(uploads) > 1 or any(_is_zip(u) for u in uploads)
        if not data["batch"] and uploads and uploads[0].size > max_bytes():
            raise ValidationError(
                f"The file is {uploads[0].size:,} bytes, over the limit of {max_bytes():,}."
            )
        total = sum(u.size for u in uploads)
        if total > max_batch_bytes():
            raise ValidationError(
                f"The upload is {total:,} bytes, over the batch limit of {max_batch_bytes():,} "
                "(INGEST_MAX_BATCH_BYTES)."
            )
        return data


def import_view(request):
    if not request.user.has_perm(IMPORT_PERMISSION):
        raise PermissionDenied("You do not have permission to import dispatches.")
    result: ImportResult | None = None
    status = 200
    if request.method == "POST":
        form = CaptureForm(request.POST, request.FILES)
        if form.is_valid() and form.cleaned_data["batch"]:
            try:
                job = job_start(
                    kind=Job.Kind.IMPORT,
                    by=request.user,
                    options={"dry_run": form.cleaned_data["dry_run"]},
                    files=expand_uploads(form.cleaned_data["file"]),
                )
            except ValidationError as exc:
                form.add_error(None, "Not imported: " + "; ".join(exc.messages))
                status = 400
            else:
                messages.success(request, f"{job}: {job.message}")
                return HttpResponseRedirect(reverse("admin:archive_job_change", args=[job.pk]))
        elif form.is_valid():
            uploads = form.cleaned_data["file"]
            upload = uploads[0] if uploads else None
            raw = upload.read() if upload else form.cleaned_data["text"]
            filename = upload.name if upload else form.cleaned_data["filename"] or "pasted capture"
            try:
                result = dispatch_import(
                    raw=raw,
                    filename=filename,
                    by=request.user,
                    dry_run=form.cleaned_data["dry_run"],
                )
            except ImportRefused as exc:
                form.add_error(None, f"Not imported ({exc.reason}): {exc.messages[0]}")
                status = 400
            except ValidationError as exc:
                form.add_error(None, "Not imported: " + "; ".join(exc.messages))
                status = 400
        else:
            status = 400
    else:
        form = CaptureForm()
    context = {
        **admin.site.each_context(request),
        "title": "Import a capture",
        "form": form,
        "result": result,
        "article_url": _article_url(result),
    }
    return render(request, "archive/ingest/import.html", context, status=status)


def _article_url(result: ImportResult | None) -> str:
    if result is None or result.article_id is None:
        return ""
    try:
        return reverse("admin:archive_article_change", args=[result.article_id])
    except NoReverseMatch:
        return ""
