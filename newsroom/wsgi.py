import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

application = get_wsgi_application()

from newsroom.checks import refuse_unsafe_configuration  # noqa: E402

refuse_unsafe_configuration()
