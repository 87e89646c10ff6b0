"""CertLogic, the EU DCC business-rule language: validation and the evaluator function (spec 1.3.x).

Written from the specification (tests/reference/specs/certlogic/README.md) and held to its whole test
suite, the validation test suite and the 518 business-rule tests the EU countries published, and to
the panzi-json-logic package (tests/unit/verifier/test_certlogic.py).

Values are JSON data as Python: dict, list, str, int (an integer-valued float counts as an integer,
as in JavaScript), bool, None, plus date-times (aware `datetime`, millisecond precision) that only
`plusTime` and `dccDateOfBirth` make. Equality (`===`, `in`) is JavaScript's strict equality:
no coercion (1 is not true), arrays, objects and date-times equal only themselves.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from verifier.errors import VerificationError

MAX_DEPTH = 64  # the EU rules nest at most about 12 deep; anything far deeper is refused, not recursed
TIME_UNITS = ("year", "month", "day", "hour")
_INFIX = frozenset(
    ("===", "and", ">", "<", ">=", "<=", "in", "+", "after", "before", "not-after", "not-before")
)
_COMPARISONS = frozenset((">", "<", ">=", "<=", "after", "before", "not-after", "not-before"))
_DATE_COMPARISONS = frozenset(("after", "before", "not-after", "not-before"))
OPERATIONS = frozenset((*_INFIX, "var", "if", "!", "plusTime", "reduce", "extractFromUVCI", "dccDateOfBirth"))
_PATH = re.compile(r"^(?:[^.]+(?:\.[^.]+)*)?$")


class CertLogicError(VerificationError):
    """A CertLogic expression is invalid (unknown operation, wrong form, or a type mismatch found while evaluating)."""

    reason = "certlogic"
    code = "acceptance_certlogic"


class UnknownOperationError(CertLogicError):
    """The expression uses an operation CertLogic does not have."""

    reason = "certlogic_unknown_operation"
    code = "acceptance_certlogic_unknown_operation"


class TooDeepError(CertLogicError):
    """The expression nests deeper than any real rule would."""

    reason = "certlogic_too_deep"
    code = "acceptance_certlogic_too_deep"


# ------------------------------------------------------------------ validation (before evaluation)


def validate(expression: Any) -> list[tuple[Any, str]]:
    """Every issue of an expression as (sub-expression, message), as the validation test suite words them."""
    issues: list[tuple[Any, str]] = []
    _validate(expression, issues, 0)
    return issues


def check(expression: Any) -> None:
    """Raise the first validation issue as a CertLogicError (UnknownOperationError, TooDeepError)."""
    issues: list[tuple[Any, str]] = []
    _validate(expression, issues, 0)
    if issues:
        message = issues[0][1]
        if message.startswith("unrecognised operator"):
            raise UnknownOperationError(f"The rule uses an {message} (not a CertLogic operation).")
        if message.startswith("nested"):
            raise TooDeepError(f"The rule is {message}.")
        raise CertLogicError(f"The rule is not valid CertLogic: {message}.")


def _validate(expr: Any, issues: list[tuple[Any, str]], depth: int) -> None:
    if depth > MAX_DEPTH:
        issues.append((expr, f"nested more than {MAX_DEPTH} levels deep"))
        return
    if isinstance(expr, str | bool) or _is_int(expr):
        return
    if isinstance(expr, float):
        issues.append((expr, f"{expr} is a non-integer number"))
        return
    if isinstance(expr, list):
        for item in expr:
            _validate(item, issues, depth + 1)
        return
    if not isinstance(expr, dict):
        issues.append((expr, "invalid CertLogic expression"))
        return
    if len(expr) != 1:
        issues.append((expr, f"expression object must have exactly one key, but it has {len(expr)}"))
        return
    ((operator, values),) = expr.items()
    if operator == "var":
        if not isinstance(values, str):
            issues.append((expr, 'not of the form { "var": "<path>" }'))
        elif not _PATH.match(values):
            issues.append((expr, f"data access path doesn't have a valid format: {values}"))
        return
    if not isinstance(values, list):
        issues.append((expr, 'operation not of the form { "<operator>": [ <values...> ] }'))
        return
    if operator not in OPERATIONS:
        issues.append((expr, f'unrecognised operator: "{operator}"'))
        return
    problem = _operand_problem(operator, values)
    if problem:
        issues.append((expr, problem))
    literal_positions = {"plusTime": (1, 2), "extractFromUVCI": (1,)}.get(operator, ())
    for position, value in enumerate(values):
        if position not in literal_positions:
            _validate(value, issues, depth + 1)


def _operand_problem(operator: str, values: list[Any]) -> str | None:
    """What is wrong with an operation's operands as the specification constrains them, if anything."""
    count = len(values)
    if operator == "if":
        return None if count == 3 else f"an if-operation must have exactly 3 operands, but it has {count}"
    if operator == "!":
        return None if count == 1 else f"a !-operation must have exactly 1 operand, but it has {count}"
    if operator == "and":
        return None if count >= 2 else f'an "and" operation must have at least 2 operands, but it has {count}'
    if operator in _COMPARISONS:
        return (
            None
            if count in (2, 3)
            else f'a "{operator}" operation must have 2 or 3 operands, but it has {count}'
        )
    if operator in ("===", "in", "+"):
        return (
            None
            if count == 2
            else f'a "{operator}" operation must have exactly 2 operands, but it has {count}'
        )
    if operator == "plusTime":
        if count != 3:
            return f'a "plusTime" operation must have exactly 3 operands, but it has {count}'
        if not _is_int(values[1]):
            return '"amount" argument (#2) of "plusTime" must be an integer'
        if values[2] not in TIME_UNITS:
            return f'"unit" argument (#3) of "plusTime" must be a string with one of the time units: {", ".join(TIME_UNITS)}'
        return None
    if operator == "reduce":
        return (
            None if count == 3 else f'a "reduce" operation must have exactly 3 operands, but it has {count}'
        )
    if operator == "extractFromUVCI":
        if count != 2:
            return f'an "extractFromUVCI" operation must have exactly 2 operands, but it has {count}'
        return None if _is_int(values[1]) else '"index" argument (#2) of "extractFromUVCI" must be an integer'
    if operator == "dccDateOfBirth":
        return (
            None
            if count == 1
            else f'a "dccDateOfBirth" operation must have exactly 1 operand, but it has {count}'
        )
    return None


# ------------------------------------------------------------------ values


def _is_int(value: Any) -> bool:
    """A JSON integer: int (not bool), or a float without fraction (JSON does not tell 1 from 1.0)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def is_truthy(value: Any) -> bool:
    """CertLogic truthy: true, non-empty string, non-zero integer, non-empty array or object."""
    if value is True:
        return True
    if value is False or value is None or isinstance(value, datetime):
        return False
    if isinstance(value, str | list | dict):
        return len(value) > 0
    return isinstance(value, int | float) and value != 0


def is_falsy(value: Any) -> bool:
    """CertLogic falsy: false, null, "", 0, [], {} (a value may be neither, e.g. a date-time)."""
    if value is False or value is None:
        return True
    if value is True or isinstance(value, datetime):
        return False
    if isinstance(value, str | list | dict):
        return len(value) == 0
    return isinstance(value, int | float) and value == 0


def _strictly_equal(left: Any, right: Any) -> bool:
    """JavaScript's ===: same type family and value; arrays, objects and date-times only if identical."""
    if isinstance(left, list | dict | datetime) or isinstance(right, list | dict | datetime):
        return left is right
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    return type(left) is type(right) and left == right


# ------------------------------------------------------------------ date-times

_DATE_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(Z|[+-]\d{1,2}(?::?\d{2})?)?)?$"
)
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


def _offset(text: str | None) -> timezone:
    """A UTC offset from Z, [+-]h, [+-]hh, [+-]hmm, [+-]hhmm, [+-]h:mm or [+-]hh:mm (none: UTC)."""
    if text is None or text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    if ":" in text[1:]:
        hours, minutes = text[1:].split(":")
    elif len(digits) <= 2:
        hours, minutes = digits, "0"
    else:
        hours, minutes = digits[:-2], digits[-2:]
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def parse_date_time(text: str) -> datetime:
    """A CertLogic date-time from one of the allowed formats (spec, plusTime); CertLogicError otherwise."""
    partial = _PARTIAL_DATE.match(text)
    if partial:
        return dcc_date_of_birth(text)
    match = _DATE_TIME.match(text)
    if not match:
        raise CertLogicError(f"The text {text[:40]!r} is not a date-time CertLogic can read.")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    milliseconds = int((fraction or "0")[:3].ljust(3, "0"))
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            milliseconds * 1000,
            tzinfo=_offset(offset),
        )
    except ValueError:
        raise CertLogicError(f"The text {text[:40]!r} is not a valid date-time.") from None


def dcc_date_of_birth(text: str) -> datetime:
    """dccDateOfBirth: the last instant-day consistent with YYYY, YYYY-MM or YYYY-MM-DD (midnight UTC)."""
    partial = _PARTIAL_DATE.match(text)
    try:
        if partial:
            year = int(partial[1])
            month = int(partial[2]) if partial[2] else 12
            return datetime(year, month, _last_day(year, month), tzinfo=UTC)
        match = re.match(r"^(\d{4})-(\d{2})-(\d{2})$", text)
        if match:
            return datetime(int(match[1]), int(match[2]), int(match[3]), tzinfo=UTC)
    except ValueError:
        pass
    raise CertLogicError(f"The text {text[:40]!r} is not a date of birth (YYYY, YYYY-MM or YYYY-MM-DD).")


def plus_time(moment: datetime, amount: int, unit: str) -> datetime:
    """Add years, months, days or hours as JavaScript's setUTC<unit>(getUTC<unit>() + amount) does.

    Days and hours are exact durations; a month or year that lands on a missing day (2020-02-29 + 1
    year) rolls over into the next month, as JavaScript's Date does (2021-03-01).
    """
    utc = moment.astimezone(UTC)
    if unit == "hour":
        return utc + timedelta(hours=amount)
    if unit == "day":
        return utc + timedelta(days=amount)
    months = utc.month - 1 + (amount if unit == "month" else 12 * amount)
    year, month = utc.year + months // 12, months % 12 + 1
    overflow = utc.day - 1
    try:
        return utc.replace(year=year, month=month, day=1) + timedelta(days=overflow)
    except (ValueError, OverflowError):
        raise CertLogicError("plusTime went outside the years a date-time can have.") from None


# ------------------------------------------------------------------ evaluation


def evaluate(expression: Any, data: Any) -> Any:
    """The CertLogic evaluator function: the value of a valid expression over a data context.

    The expression is validated first (CertLogicError if invalid, before any operand is evaluated);
    a type mismatch found while evaluating is also a CertLogicError, as the specification says.
    """
    check(expression)
    return run(expression, data)


def run(expression: Any, data: Any) -> Any:
    """Evaluate an expression already validated with `check` (a rule is checked once, when loaded)."""
    try:
        return _evaluate(expression, data)
    except CertLogicError:
        raise
    except RecursionError:
        raise TooDeepError("The rule nests too deeply to be evaluated.") from None
    except (TypeError, ValueError, OverflowError, AttributeError, IndexError, KeyError) as error:
        raise CertLogicError(
            f"The rule could not be evaluated on this data ({type(error).__name__})."
        ) from None


def _evaluate(expr: Any, data: Any) -> Any:
    if isinstance(expr, str | bool | int):
        return expr
    if isinstance(expr, dict):
        ((operator, values),) = expr.items()
        if operator == "var":
            return _var(values, data)
        handler = _HANDLERS.get(operator)
        if handler is None:
            raise UnknownOperationError(f'The rule uses the unrecognised operator "{operator}".')
        return handler(values, data)
    if isinstance(expr, list):
        return [_evaluate(item, data) for item in expr]
    if isinstance(expr, float) and expr.is_integer():
        return int(expr)
    raise CertLogicError(f"The rule holds an invalid CertLogic expression ({expr!r}).")


def _var(path: str, data: Any) -> Any:
    if path == "":
        return data
    value = data
    for fragment in path.split("."):
        if value is None:
            return None
        if isinstance(value, list | str):  # JavaScript indexes strings too ("abc".0 is "a")
            if not fragment.isdigit():
                return None
            index = int(fragment)
            value = value[index] if index < len(value) else None
        elif isinstance(value, Mapping):
            value = value.get(fragment)
        else:
            return None
    return value


def _if(values: list[Any], data: Any) -> Any:
    guard = _evaluate(values[0], data)
    if is_truthy(guard):
        return _evaluate(values[1], data)
    if is_falsy(guard):
        return _evaluate(values[2], data)
    raise CertLogicError(f"The if-guard of the rule is neither truthy nor falsy ({_show(guard)}).")


def _and(values: list[Any], data: Any) -> Any:
    result: Any = True
    for operand in values:
        if is_falsy(result):
            return result
        if not is_truthy(result):
            raise CertLogicError('Every operand of an "and" must be truthy or falsy.')
        result = _evaluate(operand, data)
    return result


def _not(values: list[Any], data: Any) -> bool:
    operand = _evaluate(values[0], data)
    if is_falsy(operand):
        return True
    if is_truthy(operand):
        return False
    raise CertLogicError(f"The operand of ! is neither truthy nor falsy ({_show(operand)}).")


def _equals(values: list[Any], data: Any) -> bool:
    return _strictly_equal(_evaluate(values[0], data), _evaluate(values[1], data))


def _in(values: list[Any], data: Any) -> bool:
    needle = _evaluate(values[0], data)
    haystack = _evaluate(values[1], data)
    if not isinstance(haystack, list):
        raise CertLogicError('The right-hand side of an "in" must be an array.')
    if needle is None or isinstance(needle, str):
        return needle in haystack  # str and None equal only their own kind: Python's `in` is strict here
    return any(_strictly_equal(needle, item) for item in haystack)


def _plus(values: list[Any], data: Any) -> int:
    left, right = _evaluate(values[0], data), _evaluate(values[1], data)
    if not (_is_int(left) and _is_int(right)):
        raise CertLogicError('Both operands of "+" must be integers.')
    return int(left) + int(right)


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    "after": lambda a, b: a > b,
    "before": lambda a, b: a < b,
    "not-after": lambda a, b: a <= b,
    "not-before": lambda a, b: a >= b,
}


def _comparison(operator: str) -> Callable[[list[Any], Any], bool]:
    order = _ORDER[operator]
    dates = operator in _DATE_COMPARISONS

    def compare(values: list[Any], data: Any) -> bool:
        operands = [_evaluate(value, data) for value in values]
        if dates:
            if not all(isinstance(operand, datetime) for operand in operands):
                raise CertLogicError(f'All operands of "{operator}" must be date-times.')
        elif not all(_is_int(operand) for operand in operands):
            raise CertLogicError(f'All operands of "{operator}" must be integers.')
        if len(operands) == 2:
            return order(operands[0], operands[1])
        return order(operands[0], operands[1]) and order(operands[1], operands[2])

    return compare


def _plus_time(values: list[Any], data: Any) -> datetime:
    text = _evaluate(values[0], data)
    if not isinstance(text, str):
        raise CertLogicError('The date argument of "plusTime" must be a string.')
    return plus_time(parse_date_time(text), int(values[1]), values[2])


def _reduce(values: list[Any], data: Any) -> Any:
    operand = _evaluate(values[0], data)
    accumulator = _evaluate(values[2], data)
    if operand is None:
        return accumulator
    if not isinstance(operand, list):
        raise CertLogicError("The operand of reduce must be an array or null.")
    for current in operand:
        # "data" gives the lambda the outer context (the specification's announced patch of reduce)
        accumulator = _evaluate(values[1], {"current": current, "accumulator": accumulator, "data": data})
    return accumulator


def extract_from_uvci(uvci: str | None, index: int) -> str | None:
    """The index-th fragment of a UCI split on / # : (an optional URN:UVCI: prefix ignored); None if none."""
    if uvci is None or index < 0:
        return None
    fragments = re.split(r"[/#:]", uvci.removeprefix("URN:UVCI:"))
    return fragments[index] if index < len(fragments) else None


def _extract_from_uvci(values: list[Any], data: Any) -> str | None:
    operand = _evaluate(values[0], data)
    if operand is not None and not isinstance(operand, str):
        raise CertLogicError('The UCI argument of "extractFromUVCI" must be a string or null.')
    return extract_from_uvci(operand, int(values[1]))


def _dcc_date_of_birth(values: list[Any], data: Any) -> datetime:
    operand = _evaluate(values[0], data)
    if not isinstance(operand, str):
        raise CertLogicError('The operand of "dccDateOfBirth" must be a string.')
    return dcc_date_of_birth(operand)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


_HANDLERS: dict[str, Callable[[list[Any], Any], Any]] = {
    "if": _if,
    "and": _and,
    "!": _not,
    "===": _equals,
    "in": _in,
    "+": _plus,
    "plusTime": _plus_time,
    "reduce": _reduce,
    "extractFromUVCI": _extract_from_uvci,
    "dccDateOfBirth": _dcc_date_of_birth,
    **{operator: _comparison(operator) for operator in _COMPARISONS},
}
