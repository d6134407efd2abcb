"""Metrics and logs for operations staff. Recorded from activities and the scrape, never from workflows."""
