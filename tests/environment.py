"""Loaded as a pytest plugin (``-p tests.environment``) before Django reads its settings.

Each test run gets its own data directory (blobs, mails, secret key), so tests
never touch the developer's ``var/``.
"""

import os
import tempfile

os.environ["SOCLE_DATA_DIR"] = tempfile.mkdtemp(prefix="socle-test-")
os.environ.setdefault("SOCLE_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
# Tests that check the public page cache turn it on themselves.
os.environ.setdefault("SOCLE_PUBLIC_CACHE_SECONDS", "0")
# One process, and every switch of a module drops the cached list: keep it for the whole run,
# so that query-count tests do not depend on when it was last read.
os.environ.setdefault("SOCLE_MODULES_CACHE_SECONDS", "86400")
