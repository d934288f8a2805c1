"""lockkeeper: holds the leader lease for this host and publishes who leads."""
