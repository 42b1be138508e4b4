"""Every failure a call can end in (`failures` maps upstream failures to them).

Each exception carries a message written for the model that reads it: what happened and what to
do next. The messages never contain the API key (the server redacts all output once more anyway).
"""

from __future__ import annotations

from dataclasses import dataclass


class SigmaMindError(Exception):
    """A failure with a message a model can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def amended(self, *, prefix: str = "", suffix: str = "") -> SigmaMindError:
        """The same failure, its message led by `prefix` and followed by `suffix`."""
        if not prefix and not suffix:
            return self
        error = type(self).__new__(type(self))
        error.__dict__.update(self.__dict__)
        error.message = f"{prefix}{self.message}{suffix}"
        error.args = (error.message,)
        return error


class ConfigurationError(SigmaMindError):
    """The server's configuration does not allow the call (missing key, refused base URL, ...)."""


class InvalidArgument(SigmaMindError):
    """A tool argument is malformed; nothing was sent upstream."""


class NotInBatchRun(SigmaMindError):
    """The batch run was fetched, but it has no test case with the id asked for."""


class OverShare(SigmaMindError):
    """A shared server's user had their share of the upstream connections in use for the whole call."""


class UpstreamError(SigmaMindError):
    """The SigmaMind API could not answer the call."""

    status: int | None = None
    json_body: bool = False
    """The answer carried a JSON object, as SigmaMind's error answers do (an HTML page or nothing does not)."""


class UpstreamAuthError(UpstreamError):
    """401 or 403: the key was rejected or lacks access."""


class UpstreamNotFound(UpstreamError):
    """404: nothing with these ids."""


class UpstreamRateLimited(UpstreamError):
    """429: too many requests."""

    def __init__(self, message: str, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UpstreamRejected(UpstreamError):
    """Any other 4xx: the API refused the request."""


class UpstreamServerError(UpstreamError):
    """5xx: SigmaMind failed."""


class UpstreamTimeout(UpstreamError):
    """No answer within the timeout."""


class UpstreamUnreachable(UpstreamError):
    """No connection could be made."""


class UpstreamTLSError(UpstreamUnreachable):
    """The TLS handshake failed (an untrusted certificate, a proxy that intercepts TLS, plain HTTP on an
    https URL): trying again cannot help."""


class UpstreamInvalidResponse(UpstreamError):
    """An answer that is not what the API promises: not JSON, not an object, a redirect."""


class UpstreamTooLarge(UpstreamError):
    """An answer larger than SIGMAMIND_MAX_RESPONSE_MB, refused unread."""


@dataclass(frozen=True)
class Target:
    """What a request asked for, so that messages can name it and say which ids to check."""

    description: str
    """e.g. "batch run 'batch_x' of agent 'agent_y'"."""
    not_found_hint: str
    """What to check when the API answers 404."""
