"""Built-in rules: one module per rule, named after the pattern it flags.

Each module imports only :mod:`reviewkit.api`; the engine discovers every
module here that defines ``ID`` and ``check``.
"""
