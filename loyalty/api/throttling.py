from rest_framework.throttling import SimpleRateThrottle

from loyalty.api.authentication import ApiCaller


class ClientRateThrottle(SimpleRateThrottle):
    """A request budget per API client (API_RATE_LIMIT, default 6000/min)."""

    scope = "client"

    def get_cache_key(self, request, view):
        caller = request.user
        if isinstance(caller, ApiCaller):
            ident = f"client-{caller.client.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
