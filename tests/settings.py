"""The test run's settings, stated here rather than inherited from defaults.

Production settings (DEBUG off, Secure cookies, HSTS, the CSP, every header), with four
differences a test run needs: a fixed test SECRET_KEY, no SSL redirect (the test client and the
live server speak plain HTTP; tests/core/test_security_settings.py checks the redirect with it
on), static files named as they are (no collectstatic before a test run), and throttle
counters in the database (below). The values below override the environment; DATABASE_URL,
REDIS_URL and the rest still come from it.
pyproject.toml passes `--ds=tests.settings` so a DJANGO_SETTINGS_MODULE in the environment
(the Makefile exports one) does not replace this module.
"""

import os

os.environ["DEBUG"] = "False"
os.environ["DEMO"] = "False"
os.environ["SECRET_KEY"] = "tests-only-secret-key-not-for-production-0123456789abcdefghij"
os.environ["SECURE_SSL_REDIRECT"] = "False"

from betterdata.settings import *  # noqa: E402, F403
from betterdata.settings import STORAGES  # noqa: E402

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Throttle counters live in the database cache table, so each test's rollback (or the seed
# restore after a transactional test) forgets them: with REDIS_URL set they would otherwise
# carry from one test to the next, and from one run to the next. The test that proves blocks
# are shared across processes through Redis points this alias at Redis itself.
from betterdata.settings import CACHES, THROTTLE_CACHE_TABLE  # noqa: E402

CACHES = {
    **CACHES,
    "throttle": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": THROTTLE_CACHE_TABLE,
    },
}

# The scope cache relies on the scope version changing at commit (deferred triggers), and most
# tests never commit: they would reuse a Scope across changes they make and roll back. The cache
# is off here and on in tests/orgs/test_scope_cache.py, whose tests commit.
SCOPE_CACHE_SECONDS = 0

# Each test's connections are opened and closed by the harness (threads in tests/threads.py too).
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
