"""Reading an uploaded CSV as a stream: encoding, delimiter, header, records with line numbers.

Nothing here holds more than one record (and the reader's buffers) in memory, so a file of any size
is read in flat memory.
"""

import codecs
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

# A cell may hold a long JSON array of tags; above this a record is refused, not read into memory.
MAX_CELL_CHARS = 1_000_000
csv.field_size_limit(MAX_CELL_CHARS)
# A physical line is read at most this far ("\r\n" included): a longer one is refused before the
# rest of it is read, so a file without newlines never sits in memory whole.
_LINE_LIMIT = MAX_CELL_CHARS + 2

_SNIFF_BYTES = 1024 * 1024
# Bytes that Windows-1252 leaves undefined: a file holding them is Latin-1.
_UNDEFINED_IN_CP1252 = frozenset(b"\x81\x8d\x8f\x90\x9d")
# The columns an error file adds to the file's own: a re-upload of one is read as the original.
ERROR_COLUMN = "error"
WARNING_COLUMN = "warning"
ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1",
}


class ImportFileError(Exception):
    """The file as a whole cannot be imported (encoding, header, size): nothing is written."""


@dataclass(frozen=True)
class Record:
    line: int  # the physical line the record starts on, 1 = the header
    cells: list[str]


class _UnclosedQuote(Exception):
    """The csv reader asked for another line of a record at the end of the file."""


class _LineTooLong(Exception):
    """A physical line runs past the cell limit."""


class _Lines:
    """The file's physical lines for the csv reader, one `readline` each.

    A line longer than the cell limit is refused while it is read. `in_record` counts the lines
    the reader took for the record it is reading: when it asks for one more at the end of the
    file, a quoted cell was never closed (the csv module would quietly end the record there).
    """

    def __init__(self, text: io.TextIOBase):
        self._readline = text.readline
        self.in_record = 0

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        line = self._readline(_LINE_LIMIT)
        if not line:
            if self.in_record:
                raise _UnclosedQuote
            raise StopIteration
        if len(line) == _LINE_LIMIT and line[-1] != "\n":
            raise _LineTooLong
        self.in_record += 1
        return line


class CountingReader(io.RawIOBase):
    """A binary file that counts the bytes read from it: the import's progress."""

    def __init__(self, raw: BinaryIO):
        self._raw = raw
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._raw.readinto(buffer)
        self.bytes_read += n or 0
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


def detect_encoding(path: Path, chosen: str = "") -> str:
    """The codec to read the file with: the admin's choice, else UTF-8 (BOM or not), else 1252."""
    with open(path, "rb") as f:
        head = f.read(_SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8) and chosen in ("", "utf-8"):
        return "utf-8-sig"
    if chosen:
        return chosen
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < _SNIFF_BYTES)
    except UnicodeDecodeError:
        return "latin-1" if _UNDEFINED_IN_CP1252 & set(head) else "cp1252"
    return "utf-8"


def first_undecodable_line(path: Path, encoding: str) -> int:
    """The line holding the first byte the codec rejects (the text reader decodes ahead)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    newlines = 0
    with open(path, "rb") as f:
        while chunk := f.read(_SNIFF_BYTES):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return newlines + chunk[: max(exc.start, 0)].count(b"\n") + 1
            newlines += chunk.count(b"\n")
    return newlines + 1


def detect_delimiter(header_line: str) -> str:
    """Comma or semicolon, whichever the header uses more (Excel in many locales writes `;`)."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


class CsvStream:
    """Open a CSV file and read its header, then its records one at a time."""

    def __init__(self, path: Path, *, encoding: str = ""):
        self.path = Path(path)
        self.encoding = detect_encoding(self.path, encoding)
        self._binary = CountingReader(open(self.path, "rb"))  # noqa: SIM115 (closed in close())
        self._text = io.TextIOWrapper(
            io.BufferedReader(self._binary, 256 * 1024),
            encoding=self.encoding,
            errors="strict",
            newline="",
        )
        self._last_line = 0
        try:
            first = self._text.readline(_LINE_LIMIT)
        except UnicodeDecodeError:
            self.close()
            raise ImportFileError(self._decode_message()) from None
        if not first.strip():
            self.close()
            raise ImportFileError("The file is empty: it needs a header line and rows.")
        if len(first) == _LINE_LIMIT and first[-1] != "\n":
            self.close()
            raise ImportFileError(
                f"Line 1 (the header) is longer than {MAX_CELL_CHARS:,} characters; the file is "
                "probably not a CSV with one record per line."
            )
        self.delimiter = detect_delimiter(first)
        try:
            header = next(csv.reader([first], delimiter=self.delimiter))
        except csv.Error as exc:
            self.close()
            raise ImportFileError(f"Line 1 (the header) cannot be read: {exc}.") from None
        self.header = [name.strip() for name in header]
        # A downloaded error file, fixed and uploaded again: its cells carry formula_safe's `'`.
        self.is_error_file = ERROR_COLUMN in self.header
        self._last_line = 1
        self._lines = _Lines(self._text)
        self._reader = csv.reader(self._lines, delimiter=self.delimiter)

    @property
    def bytes_read(self) -> int:
        return self._binary.bytes_read

    @property
    def encoding_label(self) -> str:
        return ENCODING_LABELS.get(self.encoding, self.encoding)

    def _decode_message(self) -> str:
        line = first_undecodable_line(self.path, self.encoding)
        return (
            f"Line {line} is not valid {self.encoding_label}. Save the file as UTF-8, or choose "
            "its encoding (Windows-1252 or Latin-1) when you upload it."
        )

    def records(self) -> Iterator[Record]:
        """Each non-blank record and the line it starts on; a broken file raises ImportFileError."""
        reader, lines = self._reader, self._lines
        while True:
            start = self._last_line + 1
            lines.in_record = 0
            try:
                cells = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError:
                raise ImportFileError(self._decode_message()) from None
            except _UnclosedQuote:
                raise ImportFileError(
                    f"Line {start}: a quoted cell opened on this line is not closed by the end "
                    "of the file (a '\"' is missing)."
                ) from None
            except _LineTooLong:
                raise ImportFileError(
                    f"Line {start + lines.in_record} is longer than {MAX_CELL_CHARS:,} "
                    "characters; the file is probably not a CSV with one record per line."
                ) from None
            except csv.Error as exc:
                if "field larger than field limit" in str(exc):
                    raise ImportFileError(
                        f"Line {start}: a cell runs past {MAX_CELL_CHARS:,} characters (a quoted "
                        "cell opened on this line is probably not closed)."
                    ) from None
                raise ImportFileError(f"Line {start} cannot be read as CSV: {exc}.") from None
            self._last_line = reader.line_num + 1
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            if self.is_error_file:
                cells = [formula_unguard(cell) for cell in cells]
            yield Record(line=start, cells=cells)

    def close(self) -> None:
        self._text.close()

    def __enter__(self) -> "CsvStream":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def parse_list(value: str) -> list[str]:
    """A list cell: items separated by `|`, or a JSON array of strings. Blank items are dropped."""
    value = value.strip()
    if not value:
        return []
    if value.startswith("["):
        try:
            items = json.loads(value)
        except ValueError:
            items = None
        if isinstance(items, list):
            result = []
            for item in items:
                if isinstance(item, bool) or not isinstance(item, str | int | float):
                    raise ValueError("the JSON array may hold only strings")
                text = str(item).strip()
                if text:
                    result.append(text)
            return result
    return [item.strip() for item in value.split("|") if item.strip()]


# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A cell that starts with the guard itself is guarded too, so formula_unguard can undo it exactly.
_GUARDED_STARTS = (*_FORMULA_STARTS, "'")


def formula_safe(value: str) -> str:
    """Prefix a cell a spreadsheet would evaluate with `'`, so it is shown as text."""
    return "'" + value if value.startswith(_GUARDED_STARTS) else value


def formula_unguard(value: str) -> str:
    """The cell formula_safe was given: an error file uploaded again gives the original values."""
    return value[1:] if value.startswith("'") else value
