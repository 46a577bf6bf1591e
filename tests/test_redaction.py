"""Names the public must not read are masked in every public text, keeping offsets valid."""

import pytest

from archive.models import Article, Testimony
from archive.querysets import WITHHELD_MASK, redact, withheld_names
from tests.factories import ArticleFactory, PersonFactory, PersonNameFactory, TestimonyFactory

pytestmark = pytest.mark.django_db


def test_protected_speakers_of_the_seeds_are_masked_in_the_kupiansk_body(seed):
    article = Article.objects.get(body__contains="Kupiansk will become a logistics hub")
    names = withheld_names([article.pk])[article.pk]
    public = redact(article.body, names)
    for word in ("Guseva", "Natalia", "Bardas", "Vitaly"):
        assert word in article.body
        assert word not in public
    assert len(public) == len(article.body)
    # Public, named speakers of the same article stay readable.
    assert "Dandy" in public


def test_offsets_still_slice_the_redacted_quotes(seed):
    for article in Article.objects.all():
        names = withheld_names([article.pk])[article.pk]
        public = redact(article.body, names)
        for testimony in article.testimonies.all():
            assert public[testimony.start : testimony.end] == redact(testimony.quote, names)


def test_a_pseudonymised_testimony_withholds_its_speaker_only_where_quoted():
    speaker = PersonFactory(name="Oksana Melnyk")
    PersonNameFactory(person=speaker, name="Oksana Mel'nyk")
    quoted = ArticleFactory(body="“We stay,” said Oksana Melnyk. Melnyk is 60. Oksana Mel'nyk.")
    other = ArticleFactory(body="Oksana, a neighbour, left in May.")
    TestimonyFactory(
        article=quoted, speaker=speaker, visibility="pseudonymised", protection_reason="Safety"
    )
    names = withheld_names([quoted.pk, other.pk])
    public = redact(quoted.body, names[quoted.pk])
    assert "Oksana" not in public and "Melnyk" not in public and "Mel'nyk" not in public
    assert public.count(WITHHELD_MASK) == len("Oksana Melnyk") + len("Melnyk") + len(
        "Oksana Mel'nyk"
    )
    # Another Oksana elsewhere is not this speaker: her first name alone is not masked there.
    assert redact(other.body, names[other.pk]) == other.body


def test_a_protected_persons_name_is_masked_wherever_they_are_quoted_even_publicly():
    speaker = PersonFactory(
        name="Petro Ivanenko", protection_level="restricted", protection_reason="x"
    )
    testimony = TestimonyFactory(speaker=speaker)
    article = testimony.article
    article.body = article.body + " A letter from Petro Ivanenko arrived. Ivanenko left."
    public = redact(article.body, withheld_names([article.pk])[article.pk])
    assert "Ivanenko" not in public and "Petro" not in public


def test_identified_speakers_are_never_masked():
    testimony = TestimonyFactory(speaker=PersonFactory(name="Yuri Public"))
    article = testimony.article
    assert withheld_names([article.pk])[article.pk] == frozenset()
    assert Testimony.objects.public().filter(pk=testimony.pk).exists()
