"""The series on the left: patches with their finding counts, files, thread replies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from reviewkit.load.series import Patch, Series
from reviewkit.model import Finding

from .comments import Comment
from .diff_view import SEVERITY_COLOUR
from .messages import CommentChosen, PatchChosen


def _line_cache_present(tree: Tree[Target]) -> bool:
    return callable(getattr(tree, "_clear_line_cache", None)) and isinstance(getattr(tree, "_updates", None), int)


def private_hooks_present() -> bool:
    """Tree's private line cache is there (tests/test_tui.py checks it: a Textual release that renames it
    makes a focus change re-lay out the screen again, slower but correct)."""
    return callable(getattr(Tree, "_clear_line_cache", None)) and "_updates" in Tree.__init__.__code__.co_names


COVER = -1
"""Position of the cover letter in the tree and the app (patches are 0..N-1)."""


@dataclass(frozen=True)
class Target:
    """What a tree node stands for."""

    position: int
    path: str | None = None
    message_id: str | None = None


def _counts(findings: list[Finding]) -> Text:
    if not findings:
        return Text("")
    worst = max(findings, key=lambda f: f.severity.rank)
    return Text(f" [{len(findings)}]", style=SEVERITY_COLOUR[worst.severity])


class SeriesTree(Tree[Target]):
    """Series -> patches (with counts) -> files and replies."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "down", show=False),
        Binding("k", "cursor_up", "up", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("series", id=id)
        self.show_root = True
        self.guide_depth = 2
        self._patch_nodes: dict[int, TreeNode[Target]] = {}

    def notify_style_update(self) -> None:
        """Repaint, do not re-lay out, when the tree is restyled.

        The tree is restyled on focus changes (its tint, its frame, the cursor's colour). None of them
        changes a line's width. Textual's Tree lays out the whole screen on every style update, and
        that made ``tab`` into and out of the tree the slowest key (bench/RESULTS.md, session 40).
        Without the private line cache this falls back to Textual's own path."""
        if not _line_cache_present(self):
            super().notify_style_update()
            return
        super(Tree, self).notify_style_update()  # the widget's own restyle, without Tree's re-layout
        self._clear_line_cache()
        self._updates += 1
        self.refresh()

    def set_state(self, series: Series, states: dict[int, str]) -> None:
        """Done / skip marks in front of the patch labels (b4 review's per-patch state)."""
        for pos, node in self._patch_nodes.items():
            if pos == COVER:
                continue
            patch = series.patches[pos]
            mark = {"done": ("✓ ", "bold #7ee787"), "skip": ("– ", "#6b7280")}.get(states.get(pos, ""), ("", ""))
            label = node.label.copy() if isinstance(node.label, Text) else Text(str(node.label))
            plain = label.plain
            if plain.startswith(("✓ ", "– ")):
                label = label[2:]
            node.set_label(Text.assemble(mark, label))
            del patch

    def populate(
        self, series: Series, findings: list[Finding], comments: dict[int, list[Comment]] | None = None
    ) -> None:
        """(Re)build the tree; keeps which patches are expanded."""
        comments = comments or {}
        expanded = {pos for pos, node in self._patch_nodes.items() if node.is_expanded}
        self.clear()
        self._patch_nodes = {}
        root = self.root
        root.set_label(Text.assemble((f"v{series.version} ", "bold"), series.title or series.source, _counts(findings)))
        root.data = Target(0)
        if series.cover is not None:
            total = series.total or len(series.patches)
            cover = Text.assemble((f"0/{total} ", "bold"), "cover letter", ("", ""))
            self._patch_nodes[COVER] = root.add_leaf(cover, data=Target(COVER))
        for patch in series.patches:
            mine = [f for f in findings if f.patch == patch.position]
            node = root.add(self._patch_label(series, patch, mine), data=Target(patch.position))
            self._patch_nodes[patch.position] = node
            for pf in patch.patchset:
                path = pf.path
                in_file = [f for f in mine if f.file == path]
                node.add_leaf(Text.assemble(path, _counts(in_file)), data=Target(patch.position, path=path))
            seen: set[str] = set()
            for c in comments.get(patch.position, []):
                if c.message_id in seen:
                    continue
                seen.add(c.message_id)
                label = Text.assemble(("↳ ", "#c8a2e8"), (c.author.split("<")[0].strip() or c.author, "italic"))
                node.add_leaf(label, data=Target(patch.position, message_id=c.message_id))
            if patch.position in expanded or len(series.patches) == 1:
                node.expand()
        root.expand()

    @staticmethod
    def _patch_label(series: Series, patch: Patch, findings: list[Finding]) -> Text:
        total = series.total or len(series.patches)
        counter = f"{patch.index}/{total} " if patch.subject.has_counter else ""
        return Text.assemble((counter, "bold"), patch.subject.title, _counts(findings))

    def select_patch(self, position: int) -> None:
        node = self._patch_nodes.get(position)
        if node is not None and not node.is_expanded:
            node.expand()  # expanding an open node still redraws the whole tree
        if node is not None and self.cursor_node is not node:
            # Lines of a freshly (re)built tree are laid out on the next refresh.
            self.call_after_refresh(self.move_cursor, node)

    @on(Tree.NodeSelected)
    def _chosen(self, event: Tree.NodeSelected[Target]) -> None:
        event.stop()
        target = event.node.data
        if target is None or event.node is self.root:
            return
        if target.message_id:
            self.post_message(CommentChosen(target.position, target.message_id))
        else:
            self.post_message(PatchChosen(target.position, target.path))
