"""Health endpoints for load balancers and orchestrators, answering JSON.

- `/health/live/`: the process answers. No dependency is asked, so a database outage does not
  make every worker look dead and get restarted.
- `/health/ready/`: this worker can serve: each database answers, the cache stores and returns a
  value, and every migration this code has is applied (a release whose migrations have not run
  yet is kept out of the pool). 200 when ready, 503 otherwise, with each check's verdict.

The checks are django-health-check's (plus one for migrations); these are plain Django views,
outside DRF, so the API's anonymous throttle never applies to them.
"""

from __future__ import annotations

import asyncio
import dataclasses

from django import db
from django.conf import settings
from django.http import JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_safe
from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

from newsroom.migrations_state import unapplied_migrations


@dataclasses.dataclass
class MigrationsApplied(HealthCheck):
    alias: str = "default"

    def run(self) -> None:
        # Sync checks run in a pool thread: its connection is closed again, not left open.
        try:
            with db.connections[self.alias].temporary_connection():
                missing = unapplied_migrations(self.alias)
        except db.Error as exc:
            raise ServiceUnavailable("Database unavailable") from exc
        if missing:
            count = len(missing)
            raise ServiceUnavailable(f"{count} migration{'s' if count > 1 else ''} not applied")


class ReadinessView(HealthCheckView):
    def get_checks(self):
        yield from (Database(alias=alias) for alias in settings.DATABASES)
        yield Cache()
        yield MigrationsApplied()

    async def get(self, request, *args, **kwargs):
        with self.get_executor() as executor:
            results = await asyncio.gather(
                *(check.get_result(executor) for check in self.get_checks())
            )
        ready = not any(result.error for result in results)
        return JsonResponse(
            {
                "status": "ready" if ready else "unavailable",
                "checks": {
                    repr(result.check): str(result.error) if result.error else "OK"
                    for result in results
                },
            },
            status=200 if ready else 503,
        )


readiness = ReadinessView.as_view()


@require_safe
def liveness(request):
    response = JsonResponse({"status": "alive"})
    add_never_cache_headers(response)
    return response
