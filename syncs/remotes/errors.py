"""Typed failures of a remote call, so the sync engine can decide what to do without parsing text.

Every message and body here has been scrubbed of credentials by the client that raised it.
"""

BODY_LIMIT = 2000


class RemoteError(Exception):
    """A remote call that did not give a usable answer."""

    def __init__(
        self, message: str, *, status_code: int | None = None, body: str = "", duration_ms: int = 0
    ):
        super().__init__(message)
        self.status_code = status_code
        self.body = body[:BODY_LIMIT]
        self.duration_ms = duration_ms

    def __reduce__(self):
        # Rebuild from the attributes, so the exception survives pickling (Celery, multiprocessing).
        return (_rebuild, (type(self), str(self), dict(self.__dict__)))


def _rebuild(cls, message: str, state: dict):
    exc = cls.__new__(cls)
    Exception.__init__(exc, message)
    exc.__dict__.update(state)
    return exc


class TransientError(RemoteError):
    """Worth retrying later: timeout, connection failure, 429, 5xx, a garbled answer.

    `request_sent` is False only when no connection was opened, so the remote surely did nothing;
    a non-idempotent call (catalog creation) may be retried blindly only then.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        request_sent: bool = True,
        **kwargs,
    ):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after
        self.request_sent = request_sent


class RemoteTimeout(TransientError):
    """The request went out but no answer came in time: the remote may have acted on it."""


class ResponseMismatchError(TransientError):
    """A 2xx whose body does not match the request (item count, keys, order, not JSON)."""


class RejectedError(RemoteError):
    """The remote refused the request's content (400 and other unlisted 4xx)."""

    def __init__(self, message: str, *, remote_message: str = "", additional_info=None, **kwargs):
        super().__init__(message, **kwargs)
        self.message = remote_message
        self.additional_info: list[dict] = list(additional_info or [])


class UnauthorisedError(RemoteError):
    """401/403: the credentials (or the team id) were refused; retrying cannot help."""


class NotFoundError(RemoteError):
    """404: the item is not there (on GET/DELETE), or the endpoint is wrong (on POST)."""


class DestinationNotConfigured(Exception):
    """The destination's URL or credentials are not set, so it is switched off."""
