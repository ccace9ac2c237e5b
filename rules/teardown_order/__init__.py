"""teardown_order rule family."""
