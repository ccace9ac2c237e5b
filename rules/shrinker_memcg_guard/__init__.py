"""shrinker_memcg_guard rule family."""
