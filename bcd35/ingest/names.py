"""File names are metadata, never paths: how a name dropped in the inbox is kept and shown.

Everything the product writes is named by content (``originals/<sha[:2]>/<sha256>``,
``raw/<kind>/pack-<number>.parquet``, ``quarantine/<sha256>.*``); the name a file arrived under is
only recorded (registry, reports). Names can be hostile: ``../``, absolute paths, NUL and other
control characters, right-to-left overrides that make ``fdp.exe`` read ``exe.pdf``, bytes that
are not UTF-8 (an old Windows zip), hundreds of characters, double extensions. :func:`display_name`
turns any of them into printable text that says what the name was: control and invisible
formatting characters and undecodable bytes become ``\\xNN``/``\\uNNNN`` escapes, the text is NFC,
and overlong names keep their start and end around ``…``.
"""

from __future__ import annotations

import unicodedata

MAX_NAME_CHARS = 255
MAX_PATH_CHARS = 1024
_TAIL_CHARS = 40  # an overlong name keeps its end (extension) visible


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, as os.fsdecode hands it over
        return f"\\x{code - 0xDC00:02x}"
    if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return ch


def display_name(name: str, limit: int = MAX_NAME_CHARS) -> str:
    """``name`` as printable metadata, at most ``limit`` characters (see the module docstring)."""
    # str.isprintable() is False for every character _escape changes (the categories C* and
    # Z* but the space): a printable name, nearly every name, is kept as it is without the
    # character-by-character pass (50 000 names a night at national)
    text = name if name.isprintable() else "".join(_escape(ch) for ch in name)
    text = unicodedata.normalize("NFC", text)
    if len(text) > limit:
        tail = text[-_TAIL_CHARS:]
        text = text[: limit - len(tail) - 1] + "…" + tail
    return text


def display_path(path: str) -> str:
    """A path relative to the inbox as printable metadata (see :func:`display_name`)."""
    return display_name(path, MAX_PATH_CHARS)
