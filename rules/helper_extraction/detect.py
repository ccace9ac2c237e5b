"""Detectors of helper-extraction: repeated sequences, guarded calls on a global, repeated calls.

Each detector returns :class:`Candidate` objects: what repeats, where, the
value of folding it, and (when the rewrite can be written with what the
series shows) the line edits of the fix by file.  Policy (ranking, overlap,
messages) is in ``helper_extraction``.

The detectors live one per module: :mod:`._helper_sequences`,
:mod:`._helper_guards` and :mod:`._helper_calls`, with what they share in
:mod:`._helper_common`.  This module re-exports them so the rule imports one
place.
"""

from __future__ import annotations

from reviewkit.rules.helper_extraction.calls import repeated_calls
from reviewkit.rules.helper_extraction.common import Candidate, Series, T, norm
from reviewkit.rules.helper_extraction.guards import guarded_calls
from reviewkit.rules.helper_extraction.sequences import MAX_EXTRA, MAX_LEN, sequences

__all__ = [
    "MAX_EXTRA",
    "MAX_LEN",
    "Candidate",
    "Series",
    "T",
    "guarded_calls",
    "norm",
    "repeated_calls",
    "sequences",
]
