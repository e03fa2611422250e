"""Planning: desired + live -> typed, ordered actions (pure, no I/O)."""
