"""Number formatting for French (and English) readers: thin spaces for thousands."""

from __future__ import annotations

import math

THIN_SPACE = "\u202f"


def number(x: float | int | None, decimals: int = 0, lang: str = "fr") -> str:
    """``1311000`` -> ``1 311 000`` (narrow no-break space); decimal comma in French.

    ``None`` and NaN give an en dash.
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    text = f"{x:,.{decimals}f}"
    if lang == "fr":
        return text.replace(",", THIN_SPACE).replace(".", ",")
    return text


def percent(x: float | None, decimals: int = 0, lang: str = "fr") -> str:
    """``0.123`` -> ``12 %`` (French) or ``12%`` (English)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return number(100 * x, decimals, lang) + (f"{THIN_SPACE}%" if lang == "fr" else "%")
