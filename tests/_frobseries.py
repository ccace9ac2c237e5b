"""A synthetic two-patch kernel-style series built with real git (for helper-extraction and amend tests).

Patch 1 adds a global ``frob_reserve_pool`` (exported through include/frob.h) and one
guarded use of it in frob/core.c; patch 2 adds two more uses in frob/user.c.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

BASE = {
    "include/frob.h": """#ifndef FROB_H
#define FROB_H

struct frob;

void frob_init(void);
int frob_get(struct frob *f, gfp_t gfp);

#endif
""",
    "frob/core.c": """#include "frob.h"

static int frob_count;

void frob_init(void)
{
	frob_count = 0;
}

int frob_get(struct frob *f, gfp_t gfp)
{
	frob_count++;
	return frob_count;
}
""",
    "frob/user.c": """#include "frob.h"

int frob_user_one(struct frob *f, gfp_t gfp)
{
	int err;

	err = frob_prepare(f, gfp);
	if (err)
		return err;
	return frob_finish(f);
}

int frob_user_two(struct frob *f, gfp_t gfp)
{
	frob_start(f);
	return frob_finish(f);
}
""",
}

PATCH1 = {
    "include/frob.h": BASE["include/frob.h"].replace(
        "void frob_init(void);\n", "extern struct frob_pool frob_reserve_pool;\nvoid frob_init(void);\n"
    ),
    "frob/core.c": BASE["frob/core.c"]
    .replace("static int frob_count;\n", "static int frob_count;\nstruct frob_pool frob_reserve_pool;\n")
    .replace(
        "\tfrob_count++;\n",
        "\tif (frob_pool_take(f, &frob_reserve_pool, gfp)) {\n\t\tfrob_put(f);\n"
        "\t\treturn -ENOMEM;\n\t}\n\tfrob_count++;\n",
    ),
}

PATCH2 = {
    "frob/user.c": BASE["frob/user.c"]
    .replace(
        "\terr = frob_prepare(f, gfp);\n",
        "\tif (frob_pool_take(f, &frob_reserve_pool, gfp)) {\n\t\tfrob_put(f);\n\t\tfrob_stat_inc(f, FROB_FAIL);\n"
        "\t\treturn -EAGAIN;\n\t}\n\terr = frob_prepare(f, gfp);\n",
    )
    .replace(
        "\tfrob_start(f);\n",
        "\tif (frob_pool_take(f, &frob_reserve_pool, gfp)) {\n\t\tfrob_put(f);\n\t\tgoto out;\n\t}\n\tfrob_start(f);\n",
    ),
}


def git(cwd: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_AUTHOR_NAME="Frob Dev",
        GIT_AUTHOR_EMAIL="dev@example.org",
        GIT_COMMITTER_NAME="Frob Dev",
        GIT_COMMITTER_EMAIL="dev@example.org",
        GIT_AUTHOR_DATE="2026-03-01T10:00:00Z",
        GIT_COMMITTER_DATE="2026-03-01T10:00:00Z",
        GIT_CEILING_DIRECTORIES=str(cwd.parent),
    )
    return subprocess.run(["git", *args], cwd=cwd, env=env, input=stdin, capture_output=True, check=True)


def write(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, "utf-8")


def build(root: Path) -> tuple[Path, Path]:
    """(repository at the base commit's tree, the series as an mbox) under ``root``."""
    repo = root / "repo"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    write(repo, BASE)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "frob: base")
    write(repo, PATCH1)
    git(repo, "commit", "-q", "-am", "frob: add a reserve pool\n\nReserve pool space before counting a frob.")
    write(repo, PATCH2)
    git(repo, "commit", "-q", "-am", "frob: reserve in the users\n\nBoth users reserve pool space first.")
    mbox = root / "series.mbox"
    out = git(repo, "format-patch", "--stdout", "--subject-prefix=PATCH v2", "HEAD~2").stdout
    mbox.write_bytes(out)
    git(repo, "checkout", "-q", "HEAD~2")
    return repo, mbox
