from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from archive import models

for model in (
    models.Source,
    models.Place,
    models.PlaceName,
    models.PlaceFact,
    models.Tag,
    models.PersonName,
    models.Credit,
    models.CollectionItem,
):
    admin.site.register(model)

for model in (
    models.Article,
    models.Person,
    models.Testimony,
    models.Annotation,
    models.Collection,
):
    admin.site.register(model, SimpleHistoryAdmin)
