"""The cell side: what runs inside one cell's process (entry point, backends, strategies, scenarios,
trackers)."""
