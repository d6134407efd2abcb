"""All I/O the workflows need: audit-log appends and notifications."""
