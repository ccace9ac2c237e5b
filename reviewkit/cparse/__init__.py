"""cparse stage."""
