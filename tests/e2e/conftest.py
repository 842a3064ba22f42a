"""End-to-end tests use the shared fixtures of tests/conftest.py."""

from tests.support import *  # noqa: F401,F403  (helpers for the e2e tests)
