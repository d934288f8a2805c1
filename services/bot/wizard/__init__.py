"""The generation wizard: its steps from the registry schema, its state, and where the state is kept."""
