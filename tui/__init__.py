"""The Textual review session (``reviewkit tui``); imported only when used."""
