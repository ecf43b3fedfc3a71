"""The container's health probe: `python deploy/healthcheck.py [/healthz]` exits 0 when the path answers 200.

Used by the image's HEALTHCHECK and by compose.yaml. It asks the local server (127.0.0.1:$PORT, 8000 by default)
with a Host header that Django accepts, the first of DJANGO_ALLOWED_HOSTS, and says it came over HTTPS as the
proxy would (X-Forwarded-Proto), so that neither the host check nor the HTTPS redirect gets in the way (the probes
are exempt from the redirect anyway). Standard library only: the slim image has no curl.
"""

import os
import sys
import urllib.error
import urllib.request


def probe_host() -> str:
    for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(","):
        host = host.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def main() -> int:
    path = sys.argv[1] if len(sys.argv) > 1 else "/healthz"
    port = os.environ.get("PORT", "8000")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Host": probe_host(), "X-Forwarded-Proto": "https"}
    )
    try:
        with urllib.request.urlopen(request, timeout=4) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
