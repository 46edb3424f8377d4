"""The image's HEALTHCHECK: exit 0 when gunicorn answers /healthz with 200.

It asks for Host ``localhost``, which compose always adds to DJANGO_ALLOWED_HOSTS (and which
the settings allow by default), so a deployment's own host names need not include 127.0.0.1.
"""

import os
import sys
import urllib.request

url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/healthz"
request = urllib.request.Request(url, headers={"Host": "localhost"})  # noqa: S310 - a fixed http URL
try:
    with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310
        sys.exit(0 if response.status == 200 else 1)
except OSError as exc:
    print(f"{url}: {exc}", file=sys.stderr)
    sys.exit(1)
