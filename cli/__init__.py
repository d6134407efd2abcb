"""The ``pdca`` command line: what supervisors type, and what they read back."""
