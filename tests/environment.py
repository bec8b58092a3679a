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
# `socle worker --batch` in tests runs the queue only; the scheduler's tests turn it on.
os.environ.setdefault("SOCLE_SCHEDULER", "0")


# A WSGI server always calls a response's close() (PEP 3333), which closes the file a
# FileResponse streams. Django's test client closes a streamed response only once a test
# has read it all, so a test that checks only the status or headers would leave the file
# open, and `filterwarnings = error` turns that leak into a failure of whatever test runs
# when the file is collected. Closing what the client returned at the end of each test does
# what the server does.
_streamed_responses: list = []


def _close_streamed_responses() -> None:
    while _streamed_responses:
        _streamed_responses.pop().close()


def pytest_configure(config) -> None:
    from django.test import client

    call = client.ClientHandler.__call__

    def tracking_call(self, environ):
        response = call(self, environ)
        if getattr(response, "streaming", False):
            _streamed_responses.append(response)
        return response

    client.ClientHandler.__call__ = tracking_call


def pytest_runtest_teardown(item, nextitem) -> None:
    _close_streamed_responses()
