"""Generated amounts, as the API takes them and as people write them in forms, and
the ways they go wrong, each with the reason it must be refused for.

``api_amounts`` / ``form_amounts`` give ``(text, value)``: the text must be read as
exactly ``value``. ``bad_api_amounts`` / ``bad_form_amounts`` give ``(text, kind)``:
the text must be refused, ``kind`` saying why (the tests map it to the exact message).
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

MAX_CENTS = 10**14  # 10^12 €, domain.values.MAX_AMOUNT
GAPS = (" ", "\u00a0", "\u202f")  # what forms take between thousands
# Digits that are not 0–9 (Python's Decimal() and int() read them all as numbers).
OTHER_DIGITS = (
    "٠١٢٣٤٥٦٧٨٩",  # Arabic-Indic
    "۰۱۲۳۴۵۶۷۸۹",  # Extended Arabic-Indic
    "०१२३४५६७८९",  # Devanagari
    "০১২৩৪৫৬৭৮৯",  # Bengali
    "０１２３４５６７８９",  # fullwidth
    "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗",  # mathematical bold
)

# Why a text is refused.
FORMAT, DECIMALS, NEGATIVE, HUGE = "format", "decimals", "negative", "huge"


def value_of(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def _cents(draw: st.DrawFn, low: int, high: int, signed: bool) -> int:
    cents = draw(st.integers(low, high) | st.sampled_from([low, high]))
    return -cents if signed and draw(st.booleans()) else cents


def _decimals(draw: st.DrawFn, rest: int, mark: str) -> str:
    if rest == 0:
        return draw(st.sampled_from(["", f"{mark}0", f"{mark}00"]))
    if rest % 10 == 0:
        return draw(st.sampled_from([f"{mark}{rest // 10}", f"{mark}{rest:02}"]))
    return f"{mark}{rest:02}"


@st.composite
def api_amounts(
    draw: st.DrawFn, low: int = 0, high: int = MAX_CENTS, signed: bool = False
) -> tuple[str, Decimal]:
    """A decimal string of the API (``-?[0-9]+(\\.[0-9]{1,2})?``) and its value;
    ``low`` and ``high`` bound the absolute value in cents."""
    cents = _cents(draw, low, high, signed)
    units, rest = divmod(abs(cents), 100)
    zeros = draw(st.sampled_from(["", "", "", "0", "000"]))
    text = f"{'-' if cents < 0 else ''}{zeros}{units}{_decimals(draw, rest, '.')}"
    return text, value_of(cents)


def grouped(draw: st.DrawFn, units: int) -> str:
    """``units`` with its thousands grouped by gaps (any mix of the three), or not."""
    digits = str(units)
    if not draw(st.booleans()):
        return digits
    head = len(digits) % 3 or 3
    groups = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    out = groups[0]
    for group in groups[1:]:
        out += draw(st.sampled_from(GAPS)) + group
    return out


def french(draw: st.DrawFn, cents: int) -> str:
    """``cents`` as a person may write it in a French form: ``12 500,50``,
    ``12500.50``, ``1 000 €``…"""
    units, rest = divmod(abs(cents), 100)
    mark = draw(st.sampled_from([",", "."]))
    euro = draw(st.sampled_from(["", "", "€", " €", "\u00a0€", "\u202f€"]))
    return (
        f"{'-' if cents < 0 else ''}{grouped(draw, units)}"
        f"{_decimals(draw, rest, mark)}{euro}"
    )


@st.composite
def form_amounts(
    draw: st.DrawFn, low: int = 0, high: int = MAX_CENTS, signed: bool = False
) -> tuple[str, Decimal]:
    """An amount written in a French form and its value."""
    cents = _cents(draw, low, high, signed)
    return french(draw, cents), value_of(cents)


def _other_digits(draw: st.DrawFn, text: str) -> str:
    """``text`` with some of its digits written in another script."""
    script = draw(st.sampled_from(OTHER_DIGITS))
    positions = [i for i, ch in enumerate(text) if ch.isascii() and ch.isdigit()]
    chosen = draw(st.sets(st.sampled_from(positions), min_size=1))
    return "".join(script[int(ch)] if i in chosen else ch for i, ch in enumerate(text))


def _underscored(draw: st.DrawFn, units: int) -> str:
    digits = f"{units}{draw(st.integers(0, 9))}"  # two digits at least
    cut = draw(st.integers(1, len(digits) - 1))
    return f"{digits[:cut]}_{digits[cut:]}"


@st.composite
def bad_api_amounts(draw: st.DrawFn, signed: bool = False) -> tuple[str, str]:
    """A text the API must refuse, and why (``FORMAT``, ``DECIMALS``, ``NEGATIVE``
    or ``HUGE``)."""
    good, _value = draw(api_amounts(high=10**8))
    units = draw(st.integers(0, 10**6))
    kind = draw(
        st.sampled_from(
            [
                "exponent",
                "underscore",
                "plus",
                "space",
                "digits",
                "comma",
                "decimals",
                "empty",
                "huge",
                "special",
                "dots",
                "minus",
                "letters",
            ]
        )
    )
    if kind == "exponent":
        exponent = draw(st.sampled_from(["e", "E", "e+", "E-"]))
        return f"{units}{exponent}{draw(st.integers(0, 20))}", FORMAT
    if kind == "underscore":
        return _underscored(draw, units), FORMAT
    if kind == "plus":
        return f"+{good}", FORMAT
    if kind == "space":
        gap = draw(st.sampled_from([*GAPS, "\t", "\n", "\r\n"]))
        where = draw(st.sampled_from(["before", "after", "inside"]))
        if where == "inside":
            return f"{units}{gap}{draw(st.integers(100, 999))}", FORMAT
        return (gap + good if where == "before" else good + gap), FORMAT
    if kind == "digits":
        return _other_digits(draw, good), FORMAT
    if kind == "comma":
        return f"{units},{draw(st.integers(0, 99)):02}", FORMAT
    if kind == "decimals":
        places = draw(st.integers(3, 8))
        return f"{units}.{draw(st.integers(0, 10**places - 1)):0{places}}", DECIMALS
    if kind == "empty":
        return "", FORMAT
    if kind == "huge":
        return str(draw(st.integers(MAX_CENTS // 100 + 1, 10**40))), HUGE
    if kind == "special":
        text = draw(st.sampled_from(["NaN", "nan", "Infinity", "-Infinity", "inf"]))
        return text, NEGATIVE if text.startswith("-") and not signed else FORMAT
    if kind == "dots":
        return draw(st.sampled_from([f"{units}.", f".{units % 100:02}", "."])), FORMAT
    if kind == "minus":
        if signed:
            return draw(st.sampled_from([f"--{good}", f"- {good}", "-"])), FORMAT
        return f"-{good}", NEGATIVE
    return draw(st.sampled_from(["mille", "12 euros", "0x10", "1/2", "½"])), FORMAT


@st.composite
def bad_form_amounts(draw: st.DrawFn, signed: bool = False) -> tuple[str, str]:
    """A text a form must refuse, and why."""
    good, _value = draw(form_amounts(high=10**8))
    units = draw(st.integers(0, 10**6))
    kind = draw(
        st.sampled_from(
            [
                "exponent",
                "underscore",
                "plus",
                "digits",
                "decimals",
                "grouping",
                "english",
                "huge",
                "letters",
                "minus",
            ]
        )
    )
    if kind == "exponent":
        return f"{units}e{draw(st.integers(0, 20))}", FORMAT
    if kind == "underscore":
        return _underscored(draw, units), FORMAT
    if kind == "plus":
        return f"+{good}", FORMAT
    if kind == "digits":
        return _other_digits(draw, good), FORMAT
    if kind == "decimals":  # 12,500 or 12.500: twelve and a half, or 12 500?
        places = draw(st.integers(3, 6))
        mark = draw(st.sampled_from([",", "."]))
        digits = draw(st.integers(0, 10**places - 1))
        return f"{grouped(draw, units)}{mark}{digits:0{places}}", DECIMALS
    if kind == "grouping":  # groups of other than three digits
        gap = draw(st.sampled_from(GAPS))
        return f"{units + 1}{gap}{draw(st.integers(0, 99))}", FORMAT
    if kind == "english":
        return f"{units + 1000:,}.{draw(st.integers(0, 99)):02}", FORMAT
    if kind == "huge":
        return grouped(draw, draw(st.integers(MAX_CENTS // 100 + 1, 10**20))), HUGE
    if kind == "letters":
        return draw(
            st.sampled_from(["mille euros", "€", "€ 12", "1O", "12,5,0"])
        ), FORMAT
    if signed:
        return draw(st.sampled_from([f"--{good}", f"- {good}", "-"])), FORMAT
    return f"-{good}", NEGATIVE
