"""What every operation shares: its refusal (``OpsError``) and how it cleans what people type."""

from __future__ import annotations

from collections.abc import Callable

from yujing.config import Config
from yujing.detector.redact import redactor_for
from yujing.printable import printable

__all__ = ["OpsError", "user_text"]


class OpsError(ValueError):
    """A request that cannot be done; ``code`` is the exit status a command gives for it (1:
    nothing to act on, 2: the request itself is wrong)."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def user_text(config: Config) -> Callable[[str], str]:
    """Cleans text a person typed (a name, a reason, a comment) for where it goes next.

    It is user text, as posts are: it reaches receivers, the file receiver and the audit
    journal, so personal numbers are redacted and control characters escaped."""
    redactor = redactor_for(config)

    def clean(text: str) -> str:
        return redactor.redact(printable(text, backslash=False))[0]

    return clean
