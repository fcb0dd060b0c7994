"""Reading a moment that a device or a network sent: garbage is "unknown", never an error.

Devices send epoch seconds and ISO-8601 strings in free-form data that nobody validated on the
way in, so a value can be anything JSON holds. A task that raises on one of them loses the
install or event it was recording; a value that is not a number or a string, not finite, not
after the epoch or not representable as a `datetime` is treated as absent instead.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal

# The last second a datetime can hold; a later epoch value would raise in fromtimestamp.
_LATEST = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp()


def epoch_number(raw: object) -> float | None:
    """A finite number from a JSON number or a numeric string; booleans and the rest are None."""
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal | str):
        return None
    try:
        number = float(raw)
    except (ValueError, OverflowError):  # not numeric; an int too large for a float
        return None
    return number if math.isfinite(number) else None


def from_epoch_seconds(raw: object) -> datetime | None:
    """Epoch seconds as UTC; zero, negative, past year 9999 or not a number is unknown."""
    seconds = epoch_number(raw)
    if seconds is None or not 0 < seconds <= _LATEST:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC)


def from_iso(raw: object) -> datetime | None:
    """An ISO-8601 string as UTC (naive means UTC); unparsable or outside the epoch..9999 range
    is unknown."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        parsed = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    try:
        moment = parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except OverflowError:  # an offset pushes it past year 1 or 9999
        return None
    return moment if moment.timestamp() > 0 else None
