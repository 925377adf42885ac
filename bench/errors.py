"""The one error type users see: a one-line message that names the fix."""


class UserError(Exception):
    """Bad input from the user or the environment; printed as one line, exit status 2, no traceback."""


def notice(message: str) -> None:
    """One line on stderr about a repair made on the way (a damaged file rebuilt, a bad line set aside)."""
    import sys

    print(f"note: {message}", file=sys.stderr)
