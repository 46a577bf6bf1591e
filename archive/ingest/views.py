"""The admin page where an editor uploads or pastes a capture; it calls the same service as
the `import_dispatches` command."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from archive.ingest.service import ImportRefused, ImportResult, dispatch_import, max_bytes

IMPORT_PERMISSION = "archive.add_article"


class CaptureForm(forms.Form):
    file = forms.FileField(required=False, help_text="A raw capture, as a text file.")
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
        upload, text = data.get("file"), data.get("text")
        if bool(upload) == bool(text):
            raise ValidationError("Upload a file or paste a capture (one of the two).")
        if upload and upload.size > max_bytes():
            raise ValidationError(
                f"The file is {upload.size:,} bytes, over the limit of {max_bytes():,}."
            )
        return data


def import_view(request):
    if not request.user.has_perm(IMPORT_PERMISSION):
        raise PermissionDenied("You do not have permission to import dispatches.")
    result: ImportResult | None = None
    status = 200
    if request.method == "POST":
        form = CaptureForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
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
