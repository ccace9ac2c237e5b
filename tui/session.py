"""What a maintainer decided during one review session, independent of the UI.

The Textual widgets only display a :class:`ReviewSession`; accepting a fix,
dismissing a finding, undoing, writing the reply and the next version all
happen here, so they are tested without a terminal.  The reply, baseline and
amend back ends are separate library modules; when one is missing the
action reports "not available" instead of failing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from reviewkit.errors import InputError
from reviewkit.io import write_atomic
from reviewkit.load.series import Patch, Series
from reviewkit.model import Applicability, Finding, Fix
from reviewkit.review.pipeline import DEFAULT_BASELINE
from reviewkit.words import plural

__all__ = ["DEFAULT_BASELINE", "ReviewSession", "SessionError", "reply_path"]


class SessionError(Exception):
    """An action the user asked for cannot be done; the message says why."""


@dataclass
class Action:
    """One undoable decision."""

    kind: str
    """``accept`` or ``dismiss``."""
    finding: Finding
    reason: str = ""
    fix_file: Path | None = None


@dataclass
class ReviewSession:
    """Findings of one series and the maintainer's decisions on them."""

    series: Series
    findings: list[Finding]
    baseline: Path = field(default_factory=lambda: Path(DEFAULT_BASELINE))
    fix_dir: Path | None = None
    tree: str | None = None
    accepted: dict[str, Finding] = field(default_factory=dict)
    dismissed: dict[str, str] = field(default_factory=dict)
    history: list[Action] = field(default_factory=list)
    left_out: set[str] = field(default_factory=set)
    """Fingerprints the maintainer took out of the reply (``m`` toggles)."""
    patch_state: dict[int, str] = field(default_factory=dict)
    """Per patch: ``done`` or ``skip``, as in b4 review."""
    _replies: dict[tuple[int, tuple[str, ...]], str] = field(default_factory=dict, repr=False)
    """(patch position, fingerprints in the reply) -> the reply: it depends on nothing else."""

    # ------------------------------------------------------------------
    # Queries

    def for_patch(self, position: int) -> list[Finding]:
        return [f for f in self.findings if f.patch == position]

    def status(self, finding: Finding) -> str:
        if finding.fingerprint in self.dismissed:
            return "dismissed"
        if finding.fingerprint in self.accepted:
            return "accepted"
        return ""

    def open_findings(self, position: int | None = None) -> list[Finding]:
        """Findings not dismissed (of one patch, or of the series)."""
        return [
            f
            for f in self.findings
            if f.fingerprint not in self.dismissed and (position is None or f.patch == position)
        ]

    def accepted_fixes(self) -> list[Fix]:
        return [f.fix for f in self.findings if f.fingerprint in self.accepted and f.fix is not None]

    # ------------------------------------------------------------------
    # Decisions

    def accept(self, finding: Finding) -> str:
        """Collect the finding's fix for the next version (and ``--fix-dir``)."""
        if finding.fix is None:
            raise SessionError(f"[{finding.rule}] at {finding.file}:{finding.line} has no suggested fix to accept")
        if finding.fix.applicability is Applicability.DISPLAY:
            raise SessionError(f"the fix for [{finding.rule}] is shown for reading only; apply it by hand")
        if finding.fingerprint in self.dismissed:
            raise SessionError("this finding is dismissed; press u to undo that first")
        if finding.fingerprint in self.accepted:
            return f"fix already accepted: {finding.fix.title}"
        fix_file = None
        if self.fix_dir is not None:
            fix_file = self.fix_dir / _fix_name(finding)
            write_atomic(fix_file, finding.fix.diff)
        self.accepted[finding.fingerprint] = finding
        self.history.append(Action("accept", finding, fix_file=fix_file))
        where = f" (written to {fix_file})" if fix_file else ""
        return f"accepted: {finding.fix.title}{where}; {plural(len(self.accepted), 'fix', 'es')} for the next version"

    def dismiss(self, finding: Finding, reason: str) -> str:
        """Record the finding in the baseline so ``reviewkit check`` stops reporting it."""
        from reviewkit.review.baseline import add_entry

        if finding.fingerprint in self.dismissed:
            return "already dismissed"
        if finding.fingerprint in self.accepted:
            raise SessionError("the fix of this finding is accepted; press u to undo that first")
        reason = reason.strip() or "dismissed in review"
        add_entry(str(self.baseline), finding, reason, "dismissed")
        self.dismissed[finding.fingerprint] = reason
        self.history.append(Action("dismiss", finding, reason))
        return f"dismissed [{finding.rule}] {finding.file}:{finding.line} ({reason}); recorded in {self.baseline}"

    def undo(self) -> str:
        if not self.history:
            raise SessionError("nothing to undo")
        action = self.history.pop()
        f = action.finding
        if action.kind == "accept":
            self.accepted.pop(f.fingerprint, None)
            if action.fix_file is not None:
                action.fix_file.unlink(missing_ok=True)
            return f"undone: accepted fix for [{f.rule}] {f.file}:{f.line}"
        from reviewkit.review.baseline import remove_entry

        remove_entry(str(self.baseline), f.fingerprint)
        self.dismissed.pop(f.fingerprint, None)
        return f"undone: dismissal of [{f.rule}] {f.file}:{f.line} (removed from {self.baseline})"

    # ------------------------------------------------------------------
    # Output

    def reply(self, patch: Patch) -> str:
        """The LKML reply to ``patch``: its open findings, quoted hunks, comments.

        Kept by the findings it holds, so the app can write it ahead (in a worker, while the
        maintainer reads the patch) and ``r`` only shows it; a decision that changes what goes
        in (dismiss, ``m``) writes it again."""
        from reviewkit.report.mailreply import build_reply

        chosen = [f for f in self.open_findings(patch.position) if f.fingerprint not in self.left_out]
        key = (patch.position, tuple(f.fingerprint for f in chosen))
        text = self._replies.get(key)
        if text is None:
            text = self._replies[key] = str(build_reply(self.series, chosen, patch=patch))
        return text

    def toggle_reply(self, finding: Finding) -> bool:
        """Put the finding in or out of the reply; True when it is in now."""
        if finding.fingerprint in self.left_out:
            self.left_out.discard(finding.fingerprint)
            return True
        self.left_out.add(finding.fingerprint)
        return False

    def mark_patch(self, position: int, state: str) -> str:
        """``done`` / ``skip`` a patch (again: back to undecided)."""
        if self.patch_state.get(position) == state:
            self.patch_state.pop(position)
            return ""
        self.patch_state[position] = state
        return state

    def next_version(self) -> str:
        """The series as an mbox with every accepted fix folded in."""
        from reviewkit.fixes.amend import amend_series

        fixes = self.accepted_fixes()
        if not fixes:
            raise SessionError("no accepted fixes: press a on a finding with a suggested fix first")
        try:
            return str(amend_series(self.series, fixes, tree=self.tree or None))
        except InputError as exc:
            raise SessionError(f"cannot write the next version: {exc}") from None

    def next_version_path(self) -> Path:
        """``<input stem>-v<N+1>.mbox`` in the current directory."""
        stem = Path(self.series.source).stem if not self.series.source.startswith(("<", "git:")) else "series"
        stem = re.sub(r"-v\d+$", "", stem) or "series"
        return Path(f"{stem}-v{self.series.version + 1}.mbox")


def reply_path(series: Series, patch: Patch) -> Path:
    """A default file name for the reply to ``patch``: ``re-<index>of<total>-<slug>.eml``."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", patch.subject.title).strip("-").lower()[:40] or "patch"
    total = series.total or 1
    return Path(f"re-v{patch.version}-{patch.index}of{total}-{slug}.eml")


def _fix_name(finding: Finding) -> str:
    base = re.sub(r"[^A-Za-z0-9]+", "-", finding.file).strip("-")
    return f"{finding.patch_index:04d}-{finding.rule}-{base}-{finding.line}.patch"
