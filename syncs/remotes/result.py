from dataclasses import dataclass, field


@dataclass
class RemoteResult:
    """A successful answer: the response's items in request order ([] where there are none)."""

    status_code: int
    items: list[dict] = field(default_factory=list)
    duration_ms: int = 0
