"""The one error type users see: a one-line message that names the fix."""


class UserError(Exception):
    """Bad input from the user or the environment; printed as one line, exit status 2, no traceback."""
