from rest_framework import throttling

from newsroom.clients import client_address


class AnonRateThrottle(throttling.AnonRateThrottle):
    """DRF's anonymous throttle, keyed by `client_address` rather than by a header any client
    can set (DRF's own reads X-Forwarded-For whenever `NUM_PROXIES` is unset)."""

    def get_ident(self, request) -> str:
        return client_address(request.META)
