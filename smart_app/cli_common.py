"""What every ``ms-monitor`` command shares: exit codes, the one-line error, the date option.

Exit codes: 0 success, 1 a FHIR server or run failed, 2 bad input or usage.
"""

from __future__ import annotations

import sys
from datetime import date
from typing import NoReturn

import click

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def fail(message: str, code: int) -> NoReturn:
    """One clear line on stderr and a non-zero exit (never a traceback)."""
    click.echo(f"ms-monitor: error: {message}", err=True)
    sys.exit(code)


def iso_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    """click callback for ``--as-of``: a YYYY-MM-DD date or None."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None
