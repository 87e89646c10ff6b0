"""Request bodies as JSON, bounded in depth as they are in size.

`MAX_CONTENT_LENGTH` (4 MiB) bounds a body's size, but not its nesting: 4 MiB of "[" is two million
levels, and the standard decoder gives up with a `RecursionError`, which is not the `ValueError` Flask
and Werkzeug treat as "not JSON". It escaped `request.get_json(silent=True)` on every JSON route (the
attacker's walk found it on the sign-in, one-time-code and verify routes, anonymous): a 500 with a
traceback in the log instead of one sentence. A body nested deeper than any request of this API needs
(`MAX_DEPTH`) is refused as malformed JSON before it is decoded, in time linear in its size.
"""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider

MAX_DEPTH = 64  # the deepest body of this API is 3 levels (a plan's sessions); certificates are text


def too_deep(text: str | bytes, limit: int = MAX_DEPTH) -> bool:
    """True when the JSON text opens more than `limit` arrays or objects at once (strings skipped)."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    depth = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing a body nested deeper than MAX_DEPTH as malformed (a ValueError)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        if len(s) > 2 * MAX_DEPTH and too_deep(s):
            raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels")
        try:
            return super().loads(s, **kwargs)
        except RecursionError:  # a bound below MAX_DEPTH on a small stack: still malformed, never a 500
            raise ValueError("JSON nested too deeply") from None
