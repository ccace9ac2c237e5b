"""Subcommands of ``reviewkit``: one module each (NAME, HELP, add_arguments, run)."""
