"""Forms of the editors' workplace (the admin). They validate; the services write."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError

from archive import services
from archive.models import Annotation, Article, CollectionItem, Tag, Testimony, Visibility
from archive.text import check_anchor, sha256_hex


class VersionedForm(forms.ModelForm):
    """A change form that remembers the version it was built from (optimistic concurrency).

    Posted back with the edit, it lets the form refuse a save based on an older version, saying
    who changed what since (services.check_version); the service checks again when it saves.
    """

    base_version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            return
        self.fields["base_version"].required = True
        # A history revert's form says which version it starts from (the row's current one):
        # its instance is rebuilt from a past record and carries that record's version.
        self.initial.setdefault("base_version", self.instance.version)

    def clean(self):
        cleaned = super().clean()
        expected = cleaned.get("base_version")
        if self.instance.pk is not None and expected is not None:
            services.check_version(self.instance, expected_version=expected)
        return cleaned


class ArticleAdminForm(VersionedForm):
    """The article form: the raw capture is typed once (on add), never edited afterwards."""

    class Meta:
        model = Article
        fields = (
            "headline",
            "slug",
            "source",
            "attribution_note",
            "language",
            "standfirst",
            "published_on",
            "date_precision",
            "date_inferred",
            "original_url",
            "dateline_place",
            "raw_text",
            "captured_at",
            "body",
            "places",
            "tags",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # article_create derives these when left empty: a slug from the headline, the capture
        # time from the clock.
        for name in ("slug", "captured_at"):
            if name in self.fields and self.instance.pk is None:
                self.fields[name].required = False

    def clean_raw_text(self) -> str:
        raw_text = self.cleaned_data["raw_text"]
        if self.instance.pk is None and raw_text:
            duplicate = services.duplicate_capture_message(sha256_hex(raw_text))
            if duplicate:
                raise ValidationError(duplicate)
        return raw_text

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        if self.instance.pk is not None:
            # Checked against the stored text: the instance already carries the edited body.
            stored = Article.objects.get(pk=self.instance.pk)
            try:
                services.article_check_body(article=stored, body=body)
            except ValidationError as exc:
                raise ValidationError(exc.messages) from exc
        return body


class AnchoredInlineForm(VersionedForm):
    """An inline row of a testimony or annotation under its article.

    The article form has already put the *edited* body on the parent instance when the inline
    rows are validated; the anchors still hold the stored offsets (article_update moves them).
    Dropping the parent from cleaned_data keeps Django from attaching that edited instance, so
    the anchor check in the model's clean() reads the stored body, which the offsets belong to.
    """

    def clean(self):
        cleaned = super().clean()
        cleaned.pop("article", None)
        return cleaned


class EditorsTextForm(forms.ModelForm):
    """Refuses, beside the field, an editor's own text that names a protected person (what the
    services would refuse on saving: `services.check_no_protected_names`), so nothing typed is
    lost to a refused save."""

    editors_text_fields: tuple[str, ...] = ()

    def clean(self):
        cleaned = super().clean()
        texts = {name: cleaned.get(name) for name in self.editors_text_fields}
        try:
            services.check_no_protected_names(**texts)
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                self.add_error(name, errors)
        return cleaned


class CollectionForm(EditorsTextForm, VersionedForm):
    editors_text_fields = ("title", "introduction")


class CollectionItemInlineForm(EditorsTextForm):
    """A collection item with its place in the order as a plain number.

    `position` itself is not a form field: renumbering rows would collide with the unique
    (collection, position) constraint row by row. The admin hands the order to
    services.collection_reorder, which renumbers all items at once.
    """

    editors_text_fields = ("caption",)

    order = forms.IntegerField(
        required=False,
        min_value=1,
        help_text="Position in the collection; new items without one go to the end.",
        widget=forms.NumberInput(attrs={"class": "collection-order", "style": "width: 4em"}),
    )

    class Meta:
        model = CollectionItem
        fields = ("article", "testimony", "caption")
        widgets = {"caption": forms.Textarea(attrs={"rows": 2, "cols": 50})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["order"].initial = self.instance.position


class SelectionForm(forms.Form):
    """A passage selected in the annotation tool: offsets in code points, as Python counts."""

    start = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    end = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, article: Article, **kwargs):
        self.article = article
        super().__init__(*args, **kwargs)

    def selection_text(self) -> str:
        """The selected passage, read from the stored body (for display)."""
        try:
            start = int(self["start"].value())
            end = int(self["end"].value())
        except (TypeError, ValueError):
            return ""
        return self.article.body[start:end] if 0 <= start < end else ""


class AnnotateForm(SelectionForm):
    exact = forms.CharField(strip=False, widget=forms.HiddenInput)
    prefix = forms.CharField(strip=False, required=False, widget=forms.HiddenInput)
    suffix = forms.CharField(strip=False, required=False, widget=forms.HiddenInput)
    motivation = forms.ChoiceField(
        choices=Annotation.Motivation.choices, initial=Annotation.Motivation.COMMENTING
    )
    body = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 5, "cols": 60}))
    is_public = forms.BooleanField(
        required=False, label="Public", help_text="Internal notes are never published."
    )

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            check_anchor(
                body=self.article.body,
                start=cleaned["start"],
                end=cleaned["end"],
                exact=cleaned["exact"],
                prefix=cleaned.get("prefix") or None,
                suffix=cleaned.get("suffix") or None,
            )
        return cleaned


class RecordTestimonyForm(SelectionForm):
    quote = forms.CharField(strip=False, widget=forms.HiddenInput)
    speaker_description = forms.CharField(
        required=False,
        max_length=300,
        help_text='Who spoke, when the speaker is not in the archive: "a street-stall seller".',
    )
    speaker_age = forms.IntegerField(required=False, min_value=0, max_value=130)
    context = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    language = forms.CharField(required=False, max_length=8)
    translation_note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    visibility = forms.ChoiceField(choices=Visibility.choices, initial=Visibility.PUBLIC)
    protection_reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    protection_confirmed = forms.BooleanField(
        required=False,
        label="Protection confirmed",
        help_text="The speaker is protected: I confirm that this testimony may be published.",
    )

    def __init__(self, *args, admin_site: admin.AdminSite, may_confirm: bool, **kwargs):
        super().__init__(*args, **kwargs)
        # Autocomplete through the admin's own endpoints (Person, Place, Tag admins' search).
        self.fields["speaker"] = forms.ModelChoiceField(
            queryset=Testimony._meta.get_field("speaker").related_model.objects.all(),
            required=False,
            widget=AutocompleteSelect(Testimony._meta.get_field("speaker"), admin_site),
        )
        self.fields["place"] = forms.ModelChoiceField(
            queryset=Testimony._meta.get_field("place").related_model.objects.all(),
            required=False,
            widget=AutocompleteSelect(Testimony._meta.get_field("place"), admin_site),
        )
        self.fields["tags"] = forms.ModelMultipleChoiceField(
            queryset=Tag.objects.select_related("parent"),
            required=False,
            widget=AutocompleteSelectMultiple(Testimony._meta.get_field("tags"), admin_site),
        )
        self.order_fields(
            ["speaker", "speaker_description", "speaker_age", "place", "tags", "context"]
        )
        if not may_confirm:
            # Only editors decide on protection; a contributor's testimony waits for one.
            for name in ("visibility", "protection_reason", "protection_confirmed"):
                del self.fields[name]
        if not self.initial.get("language") and "language" not in self.data:
            self.initial["language"] = self.article.language

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        if not cleaned.get("speaker") and not cleaned.get("speaker_description", "").strip():
            raise ValidationError("Pick the speaker, or describe them when they are unnamed.")
        check_anchor(
            body=self.article.body,
            start=cleaned["start"],
            end=cleaned["end"],
            exact=cleaned["quote"],
        )
        visibility = cleaned.get("visibility", Visibility.PUBLIC)
        if visibility != Visibility.PUBLIC and not cleaned.get("protection_reason", "").strip():
            self.add_error(
                "protection_reason", "Say why this testimony is pseudonymised or restricted."
            )
        return cleaned


class AddTagForm(forms.Form):
    """The intermediate page of the "add a tag" bulk action."""

    tag = forms.ModelChoiceField(
        queryset=Tag.objects.select_related("parent"),
        help_text="New terms are a deliberate act: add them to the vocabulary first.",
    )


class ConfirmTestimoniesForm(forms.Form):
    """One explicit checkbox per testimony whose speaker is protected."""

    def __init__(self, *args, protected: list[Testimony], **kwargs):
        super().__init__(*args, **kwargs)
        self.protected = protected
        for testimony in protected:
            self.fields[f"confirm_{testimony.pk}"] = forms.BooleanField(
                required=False,
                label=(
                    f"{testimony.speaker.name} "
                    f"is {testimony.speaker.get_protection_level_display()}"
                    f" — confirm that {testimony} may be published"
                ),
            )

    def confirmed_ids(self) -> set[int]:
        return {t.pk for t in self.protected if self.cleaned_data.get(f"confirm_{t.pk}")}
