"""Every default rule on real merged patches: what a maintainer sees on code nobody here wrote.

    python bench/stable_all_rules.py --old /work/kernel/linux-source-6.1 \
        --new /work/kernel/v192/linux-source-6.1 [--rule R ...] [--list R] [--json OUT]

The patches are bench/stable_fixes.py's: each .c file changed between two Debian
6.1 stable trees (at most ``--max-lines`` changed lines), as ``git diff`` writes it,
reviewed from the diff alone.  They are merged, reviewed fixes, so a finding on one
is at best a nit a maintainer let through and at worst noise: the counts per rule
and severity are the noise floor of each rule on real code.  ``--list R`` prints
every finding of rule R (file, line, message) to read one by one.

Kernel code is only read and diffed; nothing from it is executed or copied.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import stable_fixes

from reviewkit.load.series import load
from reviewkit.review.pipeline import review


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", required=True, type=Path)
    ap.add_argument("--new", required=True, type=Path)
    ap.add_argument("--max-lines", type=int, default=80)
    ap.add_argument("--rule", action="append", help="only these rules (default: every default rule)")
    ap.add_argument("--list", action="append", default=[], metavar="RULE", help="print every finding of RULE")
    ap.add_argument("--json", type=Path, help="write every finding here")
    args = ap.parse_args(argv)
    rels = stable_fixes.changed_files(args.old, args.new, args.max_lines)
    count: collections.Counter[tuple[str, str]] = collections.Counter()
    patches: collections.Counter[tuple[str, str]] = collections.Counter()
    rows: list[dict[str, object]] = []
    crashes = 0
    with tempfile.TemporaryDirectory() as tmp:
        patch = Path(tmp) / "p.patch"
        cwd = os.getcwd()
        os.chdir(tmp)  # no repository around: the diff alone
        try:
            for rel in rels:
                patch.write_text(stable_fixes.file_diff(args.old, args.new, rel), errors="surrogateescape")
                try:
                    found = review(load(str(patch)), rules=args.rule).findings
                except Exception as exc:  # a crash on a real patch is a defect: count it, keep going
                    crashes += 1
                    print(f"crash: {rel}: {type(exc).__name__}: {exc}", file=sys.stderr)
                    continue
                for key in {(f.rule, f.severity.value) for f in found}:
                    patches[key] += 1
                for f in found:
                    count[(f.rule, f.severity.value)] += 1
                    rows.append({"file": rel, "line": f.line, "rule": f.rule, "severity": f.severity.value,
                                 "message": f.message})  # fmt: skip
                    if f.rule in args.list:
                        print(f"{rel}:{f.line}: {f.severity.value}: [{f.rule}] {f.message}")
        finally:
            os.chdir(cwd)
    print(f"{len(rels)} real patches ({args.old.name} -> {args.new}), {crashes} crashed")
    for (rule, sev), n in sorted(count.items()):
        share = patches[(rule, sev)] / max(len(rels), 1)
        print(f"  {rule:22s} {sev:8s} {n:5d} findings in {patches[(rule, sev)]:4d} patches ({share:.1%})")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
