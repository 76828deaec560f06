"""Text for a terminal: data shown as data.

Labels come from data files, other people's RDF and SPARQL endpoints, so a table
cell must never be read as rich markup (``[bold]`` would style it, ``[/x]`` would
raise), as an emoji code (``:smile:``), or reach the terminal as a control
character: ESC and CSI start escape sequences that can retitle a window, move the
cursor or write to the clipboard, and bidirectional overrides reorder the text
after them. rich is imported only when a table is drawn.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

# C0 controls but the line break, DEL, C1 controls, and the bidirectional marks,
# embeddings, overrides and isolates: each is shown as a Python-style escape.
_UNSAFE = [*range(0x00, 0x0A), *range(0x0B, 0x20), *range(0x7F, 0xA0), 0x061C, 0x200E, 0x200F]
_UNSAFE += [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_ESCAPES = {c: f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}" for c in _UNSAFE}
_ANY_UNSAFE = re.compile("[" + "".join(re.escape(chr(c)) for c in _UNSAFE) + "]")


def terminal_safe(text: str) -> str:
    """``text`` with every character a terminal would act on written as an escape."""
    # str.translate looks up every character in the dict: twenty times slower than a search
    # that finds none, the usual case (a 40-row table has ten thousand characters)
    return text.translate(_ESCAPES) if _ANY_UNSAFE.search(text) else text


def cell(value: object) -> Text:
    """A table cell or heading: the value's text, escaped, never parsed as markup."""
    from rich.text import Text

    return Text(terminal_safe(str(value)))


def console(width: int) -> Console:
    """A console that renders to a string at ``width`` columns: no colour, markup, emoji or highlighting."""
    import io

    from rich.console import Console

    return Console(
        file=io.StringIO(),
        width=width,
        color_system=None,
        force_terminal=False,
        markup=False,
        emoji=False,
        highlight=False,
    )
