"""Settings for the whole suite."""

from hypothesis import settings

# No timing in tests (performance is measured in benchmarks): Hypothesis's default 200 ms deadline per
# example fails property tests at random on a loaded, shared machine.
settings.register_profile("pdca", deadline=None)
settings.load_profile("pdca")
