"""The benchmark's WSGI entry point: the archive, plus the baseline when BENCH_BASELINE=1.

`gunicorn -c gunicorn.conf.py bench.wsgi:application`. The public deployment uses
`newsroom.wsgi`, whose URLconf never contains the baseline.
"""

import os

import django
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
django.setup(set_prefix=False)
if os.environ.get("BENCH_BASELINE") == "1":
    # Before the first request, the URLconf is only a name: swap it for one that adds the
    # baseline in front of the archive's own routes.
    settings.ROOT_URLCONF = "bench.baseline_app"

from newsroom.wsgi import application  # noqa: E402

__all__ = ["application"]
