"""The words of a teardown-order finding and of its path steps (not a rule)."""

from __future__ import annotations

from reviewkit.rules.teardown_order.lifecycle import Link

from reviewkit.api import Call


def message(destroy: Call, release: Call, link: Link, path: str) -> str:
    """The finding's text: what is freed, what still runs, and what to call first."""
    d, r = destroy, release
    how = link.how if link.path == path else f"{link.how} in {link.path}"
    if link.queued:
        return (
            f"`{d.name}({', '.join(d.args)})` at {d.line} runs before `{r.name}({', '.join(r.args)})` "
            f"at {r.line}: the delayed work `{link.walker}` is queued on `{link.obj}` ({how}), and its "
            f"timer can still queue it there after the workqueue is destroyed; call {r.name}() first"
        )
    if link.callback is not None:
        what = "freed" if d.name != "list_lru_destroy" else "destroyed"
        return (
            f"`{d.name}({', '.join(d.args)})` at {d.line} runs before `{r.name}({', '.join(r.args)})` "
            f"at {r.line}: the {link.kind} callback {link.callback}() of `{link.walker}` ({how}) "
            f"can still run and touch `{link.obj}` after it is {what}; call {r.name}() first"
        )
    return (
        f"`{d.name}({d.args[0]})` at {d.line} runs before `{r.name}({r.args[0]})` at {r.line}: "
        f"`{link.walker}` walks `{link.obj}` (linked by {how}), so its callbacks can still "
        f"walk the lru after it is destroyed; release the shrinker first"
    )


def shown(walker: str) -> str:
    """A composite handle (``irq|dev_id``) as the message names it: the dev_id."""
    return walker.rsplit("|", 1)[-1].split("!", 1)[0]


def short(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def state_word(state: str | None) -> str:
    return "registered" if state == "registered" else "still live (registered elsewhere)"
