"""factory_boy factories. Articles and testimonies are built through the services' rules:
a testimony's quote is always the slice of its article's body."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from archive import models
from archive.text import sha256_hex


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        # The need-to-know trait adds a permission (a many-to-many row): nothing to re-save.
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct horse battery staple")
    is_staff = False

    class Params:
        # The need-to-know: the permission to see who protected people are.
        need_to_know = factory.Trait(
            permissions=factory.PostGeneration(
                lambda user, create, extracted, **kwargs: user.user_permissions.add(
                    Permission.objects.get(
                        codename="view_protected_identity", content_type__app_label="archive"
                    )
                )
            )
        )


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Source

    name = factory.Sequence(lambda n: f"Outlet {n}")
    slug = factory.Sequence(lambda n: f"outlet-{n}")
    kind = models.Source.Kind.WIRE_AGENCY
    language = "en"


class PlaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Place

    name = factory.Sequence(lambda n: f"Town {n}")
    slug = factory.Sequence(lambda n: f"town-{n}")
    kind = models.Place.Kind.TOWN
    latitude = 48.5
    longitude = 37.9


class PlaceNameFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.PlaceName

    place = factory.SubFactory(PlaceFactory)
    name = factory.Sequence(lambda n: f"Variant {n}")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Tag

    name = factory.Sequence(lambda n: f"Theme {n}")
    slug = factory.Sequence(lambda n: f"theme-{n}")
    description = "A theme of the vocabulary."


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Person

    name = factory.Sequence(lambda n: f"Speaker {n}")
    slug = factory.Sequence(lambda n: f"speaker-{n}")
    role = "retired"
    kind = models.Person.Kind.CIVILIAN


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Article

    headline = factory.Sequence(lambda n: f"Dispatch number {n}")
    slug = factory.Sequence(lambda n: f"dispatch-{n}")
    source = factory.SubFactory(SourceFactory)
    language = "en"
    body = factory.Sequence(
        lambda n: f"Dispatch {n}. “We will stay,” said a resident. The town was shelled again."
    )
    raw_text = factory.LazyAttributeSequence(lambda o, n: f"CAPTURE {n}\n\n{o.body}\n\nSubscribe")
    raw_sha256 = factory.LazyAttribute(lambda o: sha256_hex(o.raw_text))
    captured_at = factory.LazyFunction(timezone.now)
    status = models.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)
    published_on = factory.LazyFunction(lambda: timezone.now().date())


class TestimonyFactory(factory.django.DjangoModelFactory):
    """By default quotes the first “…” passage of the article body."""

    __test__ = False  # not a pytest test class, despite its name

    class Meta:
        model = models.Testimony

    article = factory.SubFactory(ArticleFactory)
    speaker = factory.SubFactory(PersonFactory)
    start = factory.LazyAttribute(lambda o: o.article.body.index("“") + 1)
    end = factory.LazyAttribute(lambda o: o.article.body.index("”", o.start))
    quote = factory.LazyAttribute(lambda o: o.article.body[o.start : o.end])
    visibility = models.Visibility.PUBLIC
    status = models.TestimonyStatus.CONFIRMED


class AnnotationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Annotation

    article = factory.SubFactory(ArticleFactory)
    motivation = models.Annotation.Motivation.COMMENTING
    body = "A note."
    start = 0
    end = factory.LazyAttribute(lambda o: min(8, len(o.article.body)))
    exact = factory.LazyAttribute(lambda o: o.article.body[o.start : o.end])
    is_public = True


class CollectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Collection

    title = factory.Sequence(lambda n: f"Collection {n}")
    slug = factory.Sequence(lambda n: f"collection-{n}")
    status = models.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)


class CollectionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.CollectionItem

    collection = factory.SubFactory(CollectionFactory)
    position = factory.Sequence(lambda n: n + 1)
    article = factory.SubFactory(ArticleFactory)
    testimony = None


class PersonNameFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.PersonName

    person = factory.SubFactory(PersonFactory)
    name = factory.Sequence(lambda n: f"Spelling {n}")


class PlaceFactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.PlaceFact

    place = factory.SubFactory(PlaceFactory)
    kind = models.PlaceFact.Kind.POPULATION
    value = factory.Sequence(lambda n: str(10_000 + n))
    as_of = factory.Sequence(
        lambda n: timezone.now().date().replace(year=1950 + n % 70, month=1, day=1)
    )


class CreditFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Credit

    article = factory.SubFactory(ArticleFactory)
    name = factory.Sequence(lambda n: f"Reporter {n}")
    role = models.Credit.Role.REPORTER


class ConsentRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ConsentRecord

    person = factory.SubFactory(PersonFactory)
    status = models.ConsentStatus.GIVEN
    method = models.ConsentMethod.ORAL
    covers_quote = True
    recorded_at = factory.LazyFunction(timezone.now)


class JobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Job

    kind = models.Job.Kind.VERIFY_FIXITY
    status = models.Job.Status.SUCCEEDED
    done = 3
    total = 3
    started_by = factory.SubFactory(UserFactory)


class MentionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Mention

    article = factory.SubFactory(ArticleFactory)
    person = factory.SubFactory(PersonFactory)
    start = 0
    end = factory.LazyAttribute(lambda o: min(8, len(o.article.body)))
    exact = factory.LazyAttribute(lambda o: o.article.body[o.start : o.end])
    status = models.MentionStatus.CONFIRMED
