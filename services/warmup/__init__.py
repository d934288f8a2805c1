"""warmup: loads and validates the KIE model catalogue, publishes snapshots, refreshes them."""
