"""Settings for the whole suite."""

from hypothesis import settings

# No timing in tests (performance is measured in benchmarks): Hypothesis's default 200 ms deadline per
# example fails property tests at random on a loaded, shared machine.
settings.register_profile("pdca", deadline=None)
settings.load_profile("pdca")

# Every worker the suite starts trusts the test authority (tests/identity.py sets PDCA_AUTHORITY_DIR).
import tests.identity  # noqa: E402,F401

# Every client and worker the suite starts encrypts Temporal payloads with the test keys (PDCA_PAYLOAD_KEY_DIR).
import tests.payload_keys  # noqa: E402,F401
