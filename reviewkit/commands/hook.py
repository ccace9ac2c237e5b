"""Git hooks: review patches before git send-email sends them, and in pre-commit.

``reviewkit hook install`` writes the ``sendemail-validate`` hook of the
current repository (``core.hooksPath`` honoured), keeping an existing hook
and running it after reviewkit; ``uninstall`` restores exactly what was
there.  ``run`` is what the hook calls; ``pre-commit`` and ``pre-push`` are
the entries of .pre-commit-hooks.yaml.  Findings go to stderr; the exit
status is 1 only for findings at or above the configured ``fail-on``.
"""

from __future__ import annotations

import argparse
import os
import sys

from reviewkit.model import Severity

NAME = "hook"
HELP = "git hooks: install|uninstall the send-email hook; run, pre-commit, pre-push"


def _review_options(q: argparse.ArgumentParser) -> None:
    q.add_argument("--fail-on", metavar="LEVEL", help="fail at or above: error, warning, info (default: configured)")
    q.add_argument("--no-tree", action="store_true", help="review fragments only, do not read pre-images from git")


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=type(p))
    i = sub.add_parser("install", help="install the sendemail-validate hook (chains an existing one)")
    i.add_argument("--fail-on", metavar="LEVEL", help="bake this level into the hook instead of the configured one")
    i.add_argument(
        "--fail-open",
        action="store_true",
        help="when reviewkit itself cannot review, send anyway (default: stop the send)",
    )
    sub.add_parser("uninstall", help="remove the hook and restore the one it replaced")
    r = sub.add_parser("run", help="what the hook runs: review one patch file before it is sent")
    r.add_argument("patch", help="the patch email git send-email is about to send (never modified)")
    r.add_argument("headers", nargs="?", help="the SMTP header file (git >= 2.41)")
    _review_options(r)
    c = sub.add_parser("pre-commit", help="review the staged changes of FILES (pre-commit framework)")
    c.add_argument("files", nargs="*")
    _review_options(c)
    s = sub.add_parser("pre-push", help="review the pushed commits as a series (pre-commit's pre-push stage)")
    s.add_argument("--from-ref", default=os.environ.get("PRE_COMMIT_FROM_REF"))
    s.add_argument("--to-ref", default=os.environ.get("PRE_COMMIT_TO_REF"))
    _review_options(s)


def _level(text: str) -> Severity:
    from reviewkit.config import parse_level

    return parse_level(text, "hook: --fail-on")


def run(args: argparse.Namespace) -> int:
    from reviewkit.config import find_config
    from reviewkit.errors import UsageError
    from reviewkit.review import hooks

    if args.action is None:
        raise UsageError("hook: give an action: install, uninstall, run, pre-commit or pre-push")
    if args.action == "install":
        if args.fail_on:
            _level(args.fail_on)
        done = hooks.install(fail_on=args.fail_on, fail_open=args.fail_open)
        verb = "updated" if done.updated else "installed"
        chained = f"; runs {done.chained.name} after reviewkit" if done.chained else ""
        mode = "sends anyway" if args.fail_open else "stops the send"
        print(f"reviewkit: {verb} {done.path}{chained}; if reviewkit cannot review, the hook {mode}")
        return 0
    if args.action == "uninstall":
        print(f"reviewkit: {hooks.uninstall()}")
        return 0
    config = find_config()
    fail_on = _level(args.fail_on) if args.fail_on else config.fail_on
    tree = not args.no_tree
    if args.action == "run":
        status = hooks.run_sendemail(args.patch, config, fail_on, use_tree=tree)
        if status:
            print(
                f"reviewkit: findings at or above {fail_on.value} in {os.path.basename(args.patch)}: "
                "nothing was sent (fix them, or send anyway with git send-email --no-validate)",
                file=sys.stderr,
            )
        return status
    if args.action == "pre-commit":
        return hooks.run_staged(args.files, config, fail_on, use_tree=tree) if args.files else 0
    return hooks.run_range(args.from_ref, args.to_ref, config, fail_on, use_tree=tree)
