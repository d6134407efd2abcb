"""Browser end-to-end tests of the web console (Debian Chromium through Playwright; see conftest.py)."""
