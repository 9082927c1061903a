"""What an import changes, column by column, before it is written (a dry run) and after.

For the stored rows a file updates: per column, how many stored values change and how many are
cleared (a value becomes empty: the documented meaning of an empty cell), with the first few
examples (`line 14, 04006381333931: name "Foundation 30mL" → empty`); how many products go to
zero inventory and how many come back from zero; and what an admin must not miss, called out at
the top of the job page and in the command's output: stored names cleared, or more than
IMPORT_MAX_CLEARED_SHARE of a column.

Both paths feed the same `Tally` with the same encoded values (see `encode`), so they give the
same figures and the same sentences for the same file.
"""

import datetime
import heapq
from decimal import Decimal

from django.conf import settings

EXAMPLES = 3
_TEXT_SHOWN = 60
# The columns holding a name, per kind: clearing any stored one is always called out.
NAME_COLUMNS = {"products": ("name",), "customers": ("first_name", "last_name")}


def encode(value):
    """A value as JSON holds it in a summary and in the import history: amounts and dates as
    text (PostgreSQL's `to_jsonb(x::text)` and `to_jsonb(timestamptz)` give the same)."""
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        return {key: encode(item) for key, item in value.items()}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def is_empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def shown(value) -> str:
    """An encoded value as a person reads it in a sentence."""
    if is_empty(value):
        return "empty"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return f"{len(value)} item{'s' if len(value) != 1 else ''}"
        text = "|".join(str(item) for item in value)
    elif isinstance(value, dict):
        text = ", ".join(f"{k}={v}" for k, v in value.items())
    elif isinstance(value, int | float | Decimal) or _is_amount(value):
        return str(value)
    else:
        text = str(value)
    if len(text) > _TEXT_SHOWN:
        text = text[: _TEXT_SHOWN - 1] + "…"
    return f'"{text}"'


def _is_amount(value) -> bool:
    if not isinstance(value, str):
        return False
    whole, _, cents = value.lstrip("-").partition(".")
    return whole.isdigit() and len(cents) == 2 and cents.isdigit()


class Tally:
    """Per column: changed and cleared counts and the lowest-numbered examples of each."""

    def __init__(self, columns: dict[str, str]):
        # field -> the CSV column a person knows it by, in the file's order
        self.columns = columns
        self.counts = {field: {"changed": 0, "cleared": 0} for field in columns}
        self._examples: dict[tuple[str, str], list] = {}
        self.to_zero = 0
        self.from_zero = 0

    def add(self, *, field: str, line: int, key: str, old, new) -> None:
        """One stored value the import changes (encoded values)."""
        kind = "cleared" if is_empty(new) and not is_empty(old) else "changed"
        self.counts[field][kind] += 1
        self.example(field=field, kind=kind, line=line, key=key, old=old, new=new)
        if field == "inventory":
            if old and not new:
                self.to_zero += 1
            elif not old and new:
                self.from_zero += 1

    def example(self, *, field: str, kind: str, line: int, key: str, old, new) -> None:
        heap = self._examples.setdefault((field, kind), [])
        entry = (-line, key, old, new)
        if len(heap) < EXAMPLES:
            heapq.heappush(heap, entry)
        elif -line > heap[0][0]:
            heapq.heapreplace(heap, entry)

    def examples(self, field: str, kind: str) -> list[str]:
        found = sorted(self._examples.get((field, kind), []), reverse=True)
        column = self.columns[field]
        return [
            f"line {-neg}, {key}: {column} {shown(old)} → {shown(new)}"
            for neg, key, old, new in found
        ]

    def as_dict(self, *, kind: str, matched: int) -> dict:
        """The job's `changes`: columns, inventory, and the alerts. `matched` counts the file's
        rows that found a stored row (updated or unchanged): the share of a column."""
        columns = []
        for field, column in self.columns.items():
            counts = self.counts[field]
            columns.append(
                {
                    "column": column,
                    "changed": counts["changed"],
                    "cleared": counts["cleared"],
                    "changed_examples": self.examples(field, "changed"),
                    "cleared_examples": self.examples(field, "cleared"),
                }
            )
        summary = {"columns": columns, "alerts": self._alerts(kind=kind, matched=matched)}
        if "inventory" in self.columns:
            summary["inventory"] = {"to_zero": self.to_zero, "from_zero": self.from_zero}
        return summary

    def _alerts(self, *, kind: str, matched: int) -> list[str]:
        """Stored names cleared first, then columns cleared beyond the share."""
        names, shares = [], []
        share = settings.IMPORT_MAX_CLEARED_SHARE
        for field, column in self.columns.items():
            cleared = self.counts[field]["cleared"]
            if not cleared:
                continue
            if field in NAME_COLUMNS.get(kind, ()):
                names.append(
                    f"The file clears {cleared:,} stored {column} value"
                    f"{'s' if cleared != 1 else ''} (an empty cell empties the stored value)."
                )
            elif matched and cleared / matched > share:
                shares.append(
                    f"The file clears {cleared:,} of {matched:,} stored {column} values "
                    f"({cleared / matched:.0%}, more than {share:.0%})."
                )
        return names + shares


def summary_lines(changes: dict, *, dry_run: bool) -> list[str]:
    """A job's `changes` as plain text lines (the command's output, a feed's report): what an
    admin must not miss first, then each column that changes, then the inventory line."""
    lines = [f"!! {alert}" for alert in changes.get("alerts", [])]
    columns = [c for c in changes.get("columns", []) if c["changed"] or c["cleared"]]
    if columns:
        lines.append("Stored values it would change:" if dry_run else "Stored values it changed:")
    for column in columns:
        lines.append(
            f"  {column['column']}: {column['changed']:,} changed, {column['cleared']:,} cleared"
        )
        lines.extend(f"    {example}" for example in column["changed_examples"])
        lines.extend(f"    {example}" for example in column["cleared_examples"])
    inventory = changes.get("inventory")
    if inventory and (inventory["to_zero"] or inventory["from_zero"]):
        lines.append(
            f"Inventory: {inventory['to_zero']:,} to zero, "
            f"{inventory['from_zero']:,} back from zero."
        )
    return lines
