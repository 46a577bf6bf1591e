"""Issue 15 item 4: consent and risk, recorded per person, with what a withdrawal entails."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from archive import services
from archive.models import (
    ConsentMethod,
    ConsentRecord,
    ConsentStatus,
    Person,
    ProtectionLevel,
    Testimony,
    Visibility,
)
from archive.selectors import consent_current, consent_due_for_review
from tests import factories

pytestmark = pytest.mark.django_db

BODY = "Report. “The cellar is cold,” said Consentina Withdrawxq. “We wait,” she added."


@pytest.fixture
def quoted():
    """A public person quoted twice, by name, in a published article."""
    person = factories.PersonFactory(name="Consentina Withdrawxq", slug="consentina")
    article = factories.ArticleFactory(slug="consent-dispatch", body=BODY)
    first = factories.TestimonyFactory(article=article, speaker=person)
    start = BODY.index("We wait")
    second = factories.TestimonyFactory(
        article=article, speaker=person, start=start, end=start + len("We wait"), quote="We wait"
    )
    return person, [first, second]


def test_recording_consent_keeps_who_when_how_scope_risk_and_review_date(editor, quoted):
    person, _ = quoted
    review = timezone.localdate() + timedelta(days=90)
    record = services.person_record_consent(
        person=person,
        status=ConsentStatus.GIVEN,
        method=ConsentMethod.INTERMEDIARY,
        scope=["quote", "age"],
        risk_note="Son serving at the front.",
        review_by=review,
        by=editor,
    )
    record.refresh_from_db()
    assert record.recorded_by == editor
    assert abs(record.recorded_at - timezone.now()) < timedelta(minutes=1)
    assert record.scope == ("quote", "age")
    assert (record.method, record.risk_note, record.review_by) == (
        ConsentMethod.INTERMEDIARY,
        "Son serving at the front.",
        review,
    )
    assert consent_current(person=person) == record
    assert record.history.count() == 1
    # Giving consent does not lower protection by itself.
    person.refresh_from_db()
    assert person.protection_level == ProtectionLevel.PUBLIC


@pytest.mark.parametrize("status", [ConsentStatus.WITHDRAWN, ConsentStatus.REFUSED])
def test_withdrawn_or_refused_consent_restricts_the_person_and_their_testimonies_at_once(
    editor, quoted, status
):
    person, testimonies = quoted
    public = APIClient()
    assert "Withdrawxq" in public.get("/api/v1/articles/consent-dispatch/").content.decode()

    services.person_record_consent(
        person=person, status=status, method=ConsentMethod.WRITTEN, scope=["name"], by=editor
    )

    person.refresh_from_db()
    assert person.protection_level == ProtectionLevel.RESTRICTED
    assert status in person.protection_reason.lower()
    for testimony in Testimony.objects.filter(pk__in=[t.pk for t in testimonies]):
        assert testimony.visibility == Visibility.RESTRICTED
        assert testimony.protection_reason
        # In the history, with the consent as the reason.
        latest = testimony.history.first()
        assert latest.visibility == Visibility.RESTRICTED
        assert "consent" in latest.history_change_reason.lower()
    assert "consent" in person.history.first().history_change_reason.lower()
    # What the public reads follows at once (and its validators with it).
    body = public.get("/api/v1/articles/consent-dispatch/").content.decode()
    assert "Withdrawxq" not in body and "cellar" not in body
    assert public.get("/api/v1/people/consentina/").status_code == 404


def test_consent_is_not_recorded_without_a_method_or_with_an_unknown_scope(editor, quoted):
    person, _ = quoted
    with pytest.raises(ValidationError, match="method"):
        services.person_record_consent(person=person, status=ConsentStatus.GIVEN, by=editor)
    with pytest.raises(ValidationError, match="scope"):
        services.person_record_consent(
            person=person,
            status=ConsentStatus.GIVEN,
            method=ConsentMethod.ORAL,
            scope=["fingerprint"],
            by=editor,
        )
    # Never asked: no method to record.
    services.person_record_consent(person=person, status=ConsentStatus.NOT_ASKED, by=editor)
    assert ConsentRecord.objects.filter(person=person).count() == 1


def test_a_contributor_may_not_record_consent(contributor, quoted):
    person, _ = quoted
    with pytest.raises(PermissionDenied):
        services.person_record_consent(
            person=person, status=ConsentStatus.WITHDRAWN, method="oral", by=contributor
        )
    assert not ConsentRecord.objects.exists()
    person.refresh_from_db()
    assert person.protection_level == ProtectionLevel.PUBLIC


def test_a_withdrawal_that_fails_writes_nothing(editor, quoted, monkeypatch):
    person, _ = quoted

    def refuse(**kwargs):
        raise ValidationError("refused")

    monkeypatch.setattr(services, "testimony_update", refuse)
    with pytest.raises(ValidationError):
        services.person_record_consent(
            person=person, status=ConsentStatus.WITHDRAWN, method="oral", by=editor
        )
    assert not ConsentRecord.objects.exists()
    person.refresh_from_db()
    assert person.protection_level == ProtectionLevel.PUBLIC


def test_only_the_latest_record_with_a_close_review_date_is_due(editor):
    today = timezone.localdate()
    overdue = factories.ConsentRecordFactory(review_by=today - timedelta(days=3))
    soon = factories.ConsentRecordFactory(review_by=today + timedelta(days=5))
    factories.ConsentRecordFactory(review_by=today + timedelta(days=200))
    superseded = factories.ConsentRecordFactory(review_by=today - timedelta(days=30))
    factories.ConsentRecordFactory(
        person=superseded.person,
        review_by=today + timedelta(days=300),
        recorded_at=superseded.recorded_at + timedelta(days=1),
    )
    assert consent_due_for_review(within_days=14, limit=10) == [overdue, soon]


# --- In the admin ---------------------------------------------------------------------------


def test_the_dashboard_lists_consent_decisions_due_for_review_to_editors_only(
    client, editor, contributor
):
    person = factories.PersonFactory(
        name="Reviewdue Personxq",
        protection_level=ProtectionLevel.PSEUDONYMISED,
        protection_reason="At risk.",
    )
    factories.ConsentRecordFactory(
        person=person, review_by=timezone.localdate() - timedelta(days=1)
    )
    client.force_login(editor)
    page = client.get(reverse("admin:index")).content.decode()
    assert "dashboard-consent" in page and "Reviewdue Personxq" in page
    client.force_login(contributor)
    page = client.get(reverse("admin:index")).content.decode()
    assert "dashboard-consent" not in page and "Reviewdue" not in page


def test_an_editor_withdraws_consent_in_the_admin_and_the_person_is_restricted(
    client, editor, quoted
):
    person, _ = quoted
    client.force_login(editor)
    response = client.post(
        reverse("admin:archive_consentrecord_add"),
        {
            "person": person.pk,
            "status": ConsentStatus.WITHDRAWN,
            "method": ConsentMethod.ORAL,
            "covers_quote": "on",
            "risk_note": "Threatened by a neighbour.",
            "review_by": "",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    record = ConsentRecord.objects.get()
    assert record.recorded_by == editor and record.covers_quote and not record.covers_name
    person.refresh_from_db()
    assert person.protection_level == ProtectionLevel.RESTRICTED
    # The person's page shows the log; the record cannot be edited or deleted.
    page = client.get(reverse("admin:archive_person_change", args=(person.pk,))).content.decode()
    assert "Threatened by a neighbour." in page
    change = reverse("admin:archive_consentrecord_change", args=(record.pk,))
    client.post(change, {"person": person.pk, "status": ConsentStatus.GIVEN, "method": "oral"})
    record.refresh_from_db()
    assert record.status == ConsentStatus.WITHDRAWN
    delete = reverse("admin:archive_consentrecord_delete", args=(record.pk,))
    assert client.post(delete, {"post": "yes"}).status_code == 403


def test_a_contributor_sees_no_consent_record_anywhere_in_the_admin(client, contributor):
    record = factories.ConsentRecordFactory(risk_note="Secret risk note xq.")
    client.force_login(contributor)
    for url in (
        reverse("admin:archive_consentrecord_changelist"),
        reverse("admin:archive_consentrecord_add"),
        reverse("admin:archive_consentrecord_change", args=(record.pk,)),
        reverse("admin:archive_consentrecord_history", args=(record.pk,)),
    ):
        assert client.get(url).status_code == 403, url
    page = client.get(
        reverse("admin:archive_person_change", args=(record.person.pk,))
    ).content.decode()
    assert "Secret risk note xq." not in page
    assert "consentrecord" not in client.get(reverse("admin:index")).content.decode()
    assert Person.objects.filter(pk=record.person.pk).exists()
