"""Version-to-version comparison: what happened to each finding when v4 arrived.

Patches of the old and the new version are matched first by patch-id (the
same change, whatever moved around it), then by subject title (the same
patch, reworked).  Both versions are reviewed with the same rules and
configuration, and each finding is classified by its fingerprint (rule,
file, function, normalised code: it survives line shifts):

- ``persists``: the matched old patch had the same finding;
- ``new``: it did not (or the patch is new in this version);
- ``resolved``: an old finding the new version no longer has (its patch
  may also have been dropped).

The patch-id is computed the way ``git patch-id --stable`` computes it
(each file's diff hashed with whitespace removed and line numbers ignored,
the per-file SHA-1s summed), so ids match git's and a rebase that only moves
lines keeps the id.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from reviewkit.load.series import Patch, Series
from reviewkit.model import Finding
from reviewkit.review.pipeline import Review

RESOLVED, PERSISTS, NEW = "resolved", "persists", "new"


def _add(total: bytearray, digest: bytes) -> None:
    """git's flush_one_hunk(): a byte-wise sum with carry, order-independent."""
    carry = 0
    for i, b in enumerate(digest):
        carry += total[i] + b
        total[i] = carry & 0xFF
        carry >>= 8


def patch_id(diff_text: str) -> str:
    """``git patch-id --stable`` of a diff (hex), computed without git."""
    total = bytearray(20)
    ctx = hashlib.sha1()
    started = False
    before = after = -1
    for raw in diff_text.split("\n"):
        line = raw + "\n"
        if not started:
            if not line.startswith("diff "):
                continue
            started = True
        if before == -1:
            if line.startswith(("index ", "Binary files", "GIT binary patch")):
                continue
            if line.startswith("--- "):
                before = after = 1
            elif not line[:1].isalpha():
                break
        if before == 0 and after == 0:
            if line.startswith("@@ -"):
                before, after = _hunk_counts(line)
                continue
            if not line.startswith("diff "):
                break
            _add(total, ctx.digest())
            ctx = hashlib.sha1()
            before = after = -1
        if line[:1] in ("-", " "):
            before -= 1
        if line[:1] in ("+", " "):
            after -= 1
        ctx.update("".join(line.split()).encode("utf-8", "surrogateescape"))
    _add(total, ctx.digest())
    return bytes(total).hex()


def _hunk_counts(header: str) -> tuple[int, int]:
    """Line counts of ``@@ -a,b +c,d @@`` (a missing count is 1)."""
    try:
        old, new = header.split("@@")[1].split()[:2]
    except (IndexError, ValueError):
        return 0, 0
    return (int(old.split(",")[1]) if "," in old else 1), (int(new.split(",")[1]) if "," in new else 1)


def _title_key(patch: Patch) -> str:
    return " ".join(patch.subject.title.lower().split())


@dataclass
class PatchMatch:
    """One patch of either version and its counterpart, if any."""

    old: Patch | None
    new: Patch | None
    how: str
    """"patch-id", "subject", "added" (only in new) or "dropped" (only in old)."""


def match_patches(old: Series, new: Series) -> list[PatchMatch]:
    """Pair old and new patches: identical diffs first, then equal subjects."""
    old_left = list(old.patches)
    out: list[PatchMatch] = []
    ids = {id(p): patch_id(p.diff_text) for p in old.patches}
    pending_new: list[Patch] = []
    for p in new.patches:
        pid = patch_id(p.diff_text)
        hit = next((o for o in old_left if ids[id(o)] == pid), None)
        if hit is not None:
            old_left.remove(hit)
            out.append(PatchMatch(hit, p, "patch-id"))
        else:
            pending_new.append(p)
    for p in pending_new:
        hit = next((o for o in old_left if _title_key(o) == _title_key(p)), None)
        if hit is not None:
            old_left.remove(hit)
            out.append(PatchMatch(hit, p, "subject"))
        else:
            out.append(PatchMatch(None, p, "added"))
    out.extend(PatchMatch(o, None, "dropped") for o in old_left)
    order = {id(p): n for n, p in enumerate(new.patches)}
    out.sort(key=lambda m: (order.get(id(m.new), len(order)), m.old.position if m.old else 0))
    return out


@dataclass
class Classified:
    """One finding and what became of it."""

    status: str
    finding: Finding
    """The new version's finding (persists/new) or the old one (resolved)."""
    old: Finding | None = None

    def to_json(self) -> dict[str, Any]:
        doc = {"status": self.status, **self.finding.to_json()}
        if self.old is not None and self.status == PERSISTS:
            doc["old_line"] = self.old.line
        return doc


@dataclass
class Comparison:
    """The outcome of ``reviewkit compare``."""

    old: Review
    new: Review
    matches: list[PatchMatch]
    items: list[Classified] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for i in self.items if i.status == status)


def _by_patch(findings: list[Finding]) -> dict[int | None, list[Finding]]:
    grouped: dict[int | None, list[Finding]] = {}
    for f in findings:
        grouped.setdefault(f.patch, []).append(f)
    return grouped


def classify(old: Review, new: Review) -> Comparison:
    """Match the patches of two reviewed versions and classify every finding."""
    matches = match_patches(old.series, new.series)
    result = Comparison(old, new, matches)
    old_by = _by_patch(old.findings)
    new_by = _by_patch(new.findings)
    for m in matches:
        before = old_by.get(m.old.position, []) if m.old is not None else []
        after = new_by.get(m.new.position, []) if m.new is not None else []
        old_prints: dict[str, list[Finding]] = {}
        for f in before:
            old_prints.setdefault(f.fingerprint, []).append(f)
        for f in after:
            same = old_prints.get(f.fingerprint)
            if same:
                result.items.append(Classified(PERSISTS, f, same.pop(0)))
            else:
                result.items.append(Classified(NEW, f))
        for left in old_prints.values():
            result.items.extend(Classified(RESOLVED, f) for f in left)
    # findings not tied to a patch (whole-series findings) compare as one group
    loose_old = {f.fingerprint: f for f in old_by.get(None, [])}
    for f in new_by.get(None, []):
        result.items.append(Classified(PERSISTS if loose_old.pop(f.fingerprint, None) else NEW, f))
    result.items.extend(Classified(RESOLVED, f) for f in loose_old.values())
    return result
