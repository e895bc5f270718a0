"""Where each parameter of a scenario comes from, read once when the scenario is loaded.

A :class:`Provenance` holds the scenario file's header comment, the source note of each dotted
key (the comment block above it and its inline comment), and each key's origin: ``file`` (given
by the scenario file), ``set`` (changed by ``--set``) or ``default`` (taken from the reference
scenario, whose note it then carries). It travels with the :class:`~sim.scenario.Scenario`, so
reports never read the file again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

ORIGINS = ("file", "set", "default")


@dataclass(frozen=True)
class Provenance:
    """Comments and origins of a scenario's parameters.

    ``notes`` maps a dotted key (``flow.facilitators.fte``, ``works[0].dwellings``) to
    ``(value text as written, note)``; ``origins`` maps each key given or defaulted to one of
    :data:`ORIGINS`; ``overrides`` are the ``--set`` items as given.
    """

    file: str = ""
    header: str = ""
    notes: Mapping[str, tuple[str, str]] = field(default_factory=lambda: MappingProxyType({}))
    origins: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    overrides: tuple[str, ...] = ()

    def origin(self, key: str) -> str:
        """Origin of a dotted key (``file`` when unknown)."""
        return self.origins.get(key, "file")

    def overridden(self) -> dict[str, str]:
        """``--set`` keys and their values as given, in order."""
        out: dict[str, str] = {}
        for item in self.overrides:
            if "=" in item:
                k, v = (s.strip() for s in item.split("=", 1))
                out[k] = v
        return out


def _split_comment(value_text: str) -> tuple[str, str]:
    """Split ``value  # comment`` outside of TOML strings."""
    quote = ""
    i = 0
    while i < len(value_text):
        c = value_text[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 2
                continue
            if c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == "#":
            return value_text[:i].rstrip(), value_text[i + 1 :].strip()
        i += 1
    return value_text.rstrip(), ""


_TABLE = re.compile(r"^\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_ARRAY = re.compile(r"^\[\[\s*([^\[\]]+?)\s*\]\]\s*(#.*)?$")
_KEY = r"""(?:[A-Za-z0-9_\-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_KEYLINE = re.compile(rf"^({_KEY}(?:\s*\.\s*{_KEY})*)\s*=\s*(.*)$")  # linear in the line


def source_notes(text: str) -> tuple[str, dict[str, tuple[str, str]]]:
    """The comments of a scenario file: its header, and per dotted key ``(value text, note)``.

    A key's note is the comment block just above it (no blank line between) and its inline
    comment, continued by indented comment lines below it. Keys without a note are left out.
    """
    header: list[str] = []
    notes: dict[str, tuple[str, str]] = {}
    section = ""
    arrays: dict[str, int] = {}
    pending: list[str] = []
    last: str | None = None
    started = False
    closing = ""  # the delimiter of the multi-line string being read, if any
    # lines end at "\n" only: U+2028 and the like may stand inside a one-line string
    for raw in text.split("\n"):
        line = raw.strip()
        if closing:  # a string's lines are data, not keys or comments
            closing = _string_left_open(line, closing)
            continue
        if not line:
            if not started and pending:
                header.extend(pending)
            elif not started:
                header.append("")
            pending = []
            last = None
            continue
        if line.startswith("#"):
            comment = line.lstrip("#").strip()
            if raw[:1].isspace() and last is not None:
                value, note = notes[last]
                notes[last] = (value, f"{note} {comment}".strip())
            else:
                pending.append(comment)
                last = None
            continue
        if not started:
            header.extend(pending)
            pending = []
            started = True
        opened = _header(line, arrays)
        if opened is not None:
            section = opened
            pending, last = [], None
            continue
        m = _KEYLINE.match(line)
        if m:
            key = _dotted(m.group(1))
            full = f"{section}.{key}" if section else key
            value, comment = _split_comment(m.group(2))
            note = " — ".join(p for p in (" ".join(pending).strip(), comment) if p)
            notes[full] = (value, note)
            pending = []
            last = full
            closing = _string_left_open(m.group(2), "")
            continue
        pending, last = [], None
        closing = _string_left_open(line, "")  # e.g. an array's line
    if not started:
        header.extend(pending)
    head = "\n".join(header).strip()
    return head, {k: v for k, v in notes.items() if v[1]}


def _string_left_open(line: str, closing: str) -> str:
    """The delimiter of the multi-line string still open at the end of ``line`` (three double
    or three single quotes), ``""`` if none, given the one open at its start: a linear scan of
    TOML's strings (one-line basic strings with escapes, literal strings, multi-line ones, which
    end at their last run of quotes) and comments, wherever they stand (a value, an array, an
    inline table)."""
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if closing:
            if c == "\\" and closing == '"""':
                i += 2
            elif line.startswith(closing, i):
                while i < n and line[i] == closing[0]:  # up to two quotes before the end
                    i += 1
                closing = ""
            else:
                i += 1
        elif c == "#":
            break
        elif line.startswith('"""', i) or line.startswith("'''", i):
            closing = line[i : i + 3]
            i += 3
        elif c == '"':
            i += 1
            while i < n and line[i] != '"':
                i += 2 if line[i] == "\\" else 1
            i += 1
        elif c == "'":
            end = line.find("'", i + 1)
            i = n if end < 0 else end + 1
        else:
            i += 1
    return closing


def annotate(
    text: str,
    provenance: Provenance,
    words: Mapping[str, str],
    width: int = 94,
    replaced: Mapping[str, str] | None = None,
) -> str:
    """TOML text (one ``[table]`` header per table, as ``tomli_w`` writes it) with each key's
    source note from ``provenance`` as comment lines just above the key or table that it
    describes; a key set with ``--set`` says so in ``words`` (``set``, ``set_had`` and
    ``set_had_note`` templates: the ``scenario_file`` section of the translation table);
    ``replaced`` gives other keys' notes (a fitted value's). The data are unchanged."""
    import textwrap

    out: list[str] = []
    section = ""
    arrays: dict[str, int] = {}
    done: set[str] = set()

    def note_lines(key: str) -> list[str]:
        value, note = provenance.notes.get(key, ("", ""))
        if replaced and key in replaced:
            note = replaced[key]
        elif provenance.origin(key) == "set":
            kind = "set_had_note" if value and note else "set_had" if value else "set"
            note = words[kind].format(value=value, note=note)
        if not note or key in done:
            return []
        done.add(key)
        return textwrap.wrap(note, width, initial_indent="# ", subsequent_indent="# ")

    for line in text.split("\n"):  # not splitlines(): U+2028 and the like stay in strings
        s = line.strip()
        opened = _header(s, arrays)
        if opened is not None:
            section = opened
            # a value table written as sub-tables: its note above the first of them
            parts = section.split(".")
            for n in range(1, len(parts) + 1):
                out += note_lines(".".join(parts[:n]))
            out.append(line)
            continue
        m = _KEYLINE.match(s) if s and not s.startswith("#") and line == line.lstrip() else None
        if m:
            key = _dotted(m.group(1))
            out += note_lines(f"{section}.{key}" if section else key)
        out.append(line)
    return "\n".join(out)


def _dotted(name: str) -> str:
    """A TOML key as dotted text, quotes off (``uncertainty."a.b"``: ``uncertainty.a.b``)."""
    parts = re.findall(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'|[^."\']+', name)
    return ".".join(p.strip().strip("\"'") for p in parts)


def _header(line: str, arrays: dict[str, int]) -> str | None:
    """The section a table header line opens (``clause``, ``works[1]``, ``works[1].sub``),
    counting the items of arrays of tables in ``arrays``; None for any other line."""
    m = _ARRAY.match(line) or _TABLE.match(line)
    if m is None:
        return None
    name = _dotted(m.group(1))
    if line.startswith("[["):
        arrays[name] = arrays.get(name, -1) + 1
        return f"{name}[{arrays[name]}]"
    head, _, rest = name.partition(".")
    return f"{head}[{arrays[head]}].{rest}" if head in arrays and rest else name


_MISSING = object()


def lookup(raw: Any, key: str) -> Any:
    """The value at a dotted key with list indices in nested data, or :data:`MISSING`."""
    node = raw
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", key):
        if part.startswith("["):
            idx = int(part[1:-1])
            if not isinstance(node, list | tuple) or idx >= len(node):
                return _MISSING
            node = node[idx]
        else:
            if not isinstance(node, Mapping) or part not in node:
                return _MISSING
            node = node[part]
    return node


MISSING = _MISSING


def leaves(raw: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Dotted keys and values of nested TOML data; a table of plain values (shares, a
    distribution) is one leaf, as are lists of numbers."""
    out: list[tuple[str, Any]] = []
    if isinstance(raw, Mapping):
        plain = not any(isinstance(v, Mapping | list | tuple) for v in raw.values())
        if prefix and plain and _is_value_table(prefix):
            return [(prefix, raw)]
        for k, v in raw.items():
            full = f"{prefix}.{k}" if prefix else str(k)
            if isinstance(v, Mapping) and not _is_value_table(full):
                out += leaves(v, full)
            elif isinstance(v, list | tuple) and v and all(isinstance(x, Mapping) for x in v):
                for i, item in enumerate(v):
                    out += leaves(item, f"{full}[{i}]")
            else:
                out.append((full, v))
        return out
    return [(prefix, raw)]


def _is_value_table(key: str) -> bool:
    """Whether a dotted key names a table that is one value (known to the schema as a leaf)."""
    from .scenario import is_leaf_key

    return is_leaf_key(key)


def capture(
    file: str,
    text: str,
    file_raw: Mapping[str, Any],
    overrides: Sequence[str],
    reference_text: str = "",
    defaulted: Sequence[str] = (),
) -> Provenance:
    """Build the provenance of a scenario loaded from ``file``.

    Parameters
    ----------
    text : the scenario file's text (its comments are the notes)
    file_raw : the file's data before overrides
    overrides : the ``--set`` items applied
    reference_text : the reference scenario's text, whose notes keys taken from it carry
    defaulted : dotted keys that the file does not give (filled from the reference/schema)
    """
    header, notes = source_notes(text)
    ref_notes = source_notes(reference_text)[1] if reference_text else {}
    set_keys = [item.split("=", 1)[0].strip() for item in overrides if "=" in item]
    origins: dict[str, str] = {}
    for key in defaulted:
        origins[key] = "default"
        if key not in notes and key in ref_notes:
            notes[key] = ref_notes[key]
    for key, _v in leaves(file_raw):
        origins.setdefault(key, "file")
    for key in set_keys:
        origins[key] = "set"
        # a --set inside a value table (flow.siae.posts.etti) marks the table
        parent = key.rsplit(".", 1)[0]
        if parent != key and _is_value_table(parent):
            origins[parent] = "set"
    return Provenance(
        file=file,
        header=header,
        notes=MappingProxyType(notes),
        origins=MappingProxyType(origins),
        overrides=tuple(overrides),
    )
