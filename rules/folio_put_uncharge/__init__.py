"""folio_put_uncharge rule family."""
