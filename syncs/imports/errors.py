"""Where an import's invalid rows go: a CSV file on disk, and the first few inline on the job."""

import csv
import heapq
from pathlib import Path


class ErrorSink:
    """Keep every invalid record (cells + `error`) in a file and the lowest-numbered N inline."""

    def __init__(self, path: Path, header: list[str], *, inline: int):
        self.path = Path(path)
        self.count = 0
        self._inline = inline
        self._heap: list[tuple[int, str]] = []  # (-line, message): a max-heap of kept lines
        self._file = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        self._writer = csv.writer(self._file)
        self._writer.writerow([*header, "error"])
        self._width = len(header)

    def add(self, line: int, cells: list[str], message: str) -> None:
        self.count += 1
        padded = cells + [""] * (self._width - len(cells)) if len(cells) < self._width else cells
        self._writer.writerow([*padded, f"line {line}: {message}"])
        entry = (-line, message)
        if len(self._heap) < self._inline:
            heapq.heappush(self._heap, entry)
        elif -line > self._heap[0][0]:
            heapq.heapreplace(self._heap, entry)

    def inline(self) -> list[dict]:
        return [{"line": -neg, "message": m} for neg, m in sorted(self._heap, reverse=True)]

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()
