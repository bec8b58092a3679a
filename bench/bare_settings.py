"""Settings of the bare Django application: the framework's ceiling on this machine.

No middleware, no database, no templates: what is left is the cost of the
WSGI server, Django's request handling and URL resolution.
"""

SECRET_KEY = "bench-bare-not-secret"  # a constant page on loopback: nothing to sign
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "bench.bare_urls"
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
USE_I18N = False
LOGGING_CONFIG = None
