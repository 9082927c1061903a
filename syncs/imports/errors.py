"""Where an import's invalid rows and warnings go: a CSV file on disk (the file's cells plus an
`error` and a `warning` column), and the first few of each inline on the job."""

import csv
import heapq
from pathlib import Path

from syncs.imports.reading import ERROR_COLUMN, WARNING_COLUMN


class _FirstLines:
    """The lowest-numbered `limit` (line, message) pairs seen, in flat memory."""

    def __init__(self, limit: int):
        self._limit = limit
        self._heap: list[tuple[int, str]] = []  # (-line, message): a max-heap of kept lines

    def add(self, line: int, message: str) -> None:
        entry = (-line, message)
        if len(self._heap) < self._limit:
            heapq.heappush(self._heap, entry)
        elif -line > self._heap[0][0]:
            heapq.heapreplace(self._heap, entry)

    def as_list(self) -> list[dict]:
        return [{"line": -neg, "message": m} for neg, m in sorted(self._heap, reverse=True)]


class ErrorSink:
    """Keep every invalid or warned record in a file and the lowest-numbered N of each inline.

    A corrected error file uploaded again has `error` and `warning` columns of its own: they are
    left out, so each row carries this import's verdict only.
    """

    def __init__(self, path: Path, header: list[str], *, inline: int):
        self.path = Path(path)
        self.count = 0  # invalid rows
        self.warned = 0  # rows with a warning (imported, unless also invalid)
        self.warned_invalid = 0  # of those, the rows also invalid (not imported)
        self._errors = _FirstLines(inline)
        self._warnings = _FirstLines(inline)
        self._width = len(header)
        dropped = {ERROR_COLUMN, WARNING_COLUMN}
        self._kept = [i for i, name in enumerate(header) if name.strip() not in dropped]
        self._file = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        self._writer = csv.writer(self._file)
        self._writer.writerow([*(header[i] for i in self._kept), ERROR_COLUMN, WARNING_COLUMN])

    def _write(self, line: int, cells: list[str], error: str, warning: str) -> None:
        if len(cells) < self._width:
            cells = cells + [""] * (self._width - len(cells))
        kept = [cells[i] for i in self._kept] if len(self._kept) < self._width else cells
        if len(cells) > self._width:
            kept = kept + cells[self._width :]
        self._writer.writerow(
            [
                *kept,
                f"line {line}: {error}" if error else "",
                f"line {line}: {warning}" if warning else "",
            ]
        )

    def add(self, line: int, cells: list[str], message: str, *, warning: str = "") -> None:
        """An invalid row (with the warning it also had, if any)."""
        self.count += 1
        self._errors.add(line, message)
        if warning:
            self.warned += 1
            self.warned_invalid += 1
            self._warnings.add(line, warning)
        self._write(line, cells, message, warning)

    def warn(self, line: int, cells: list[str], warning: str) -> None:
        """A row imported as it is, with a warning."""
        self.warned += 1
        self._warnings.add(line, warning)
        self._write(line, cells, "", warning)

    def inline(self) -> list[dict]:
        return self._errors.as_list()

    def inline_warnings(self) -> list[dict]:
        return self._warnings.as_list()

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()
