"""WSGI entry point (gunicorn trust_portal.wsgi).

Once the application is loaded, the objects made so far (settings, models, URL patterns, the API schema's
classes: most of a worker's heap) are moved out of the garbage collector's sight (``gc.freeze``): they live as
long as the process, and the collector's full passes no longer walk them on every request that allocates enough
to trigger one (a few per cent of an access decision's time, bench/decision.py)."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trust_portal.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018  (imports every view now, as the first request would)
gc.freeze()
