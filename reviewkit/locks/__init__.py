"""locks stage."""
