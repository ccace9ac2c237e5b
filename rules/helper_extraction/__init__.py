"""helper_extraction rule family."""
