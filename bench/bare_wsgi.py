"""WSGI entry point of the bare application, served like socle: ``bench.bare_wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bare_settings"
application = get_wsgi_application()
