"""What every import shares: the counts, the plan, the safeguard's figures, catalog lookup, and the
shape of an importer (feed records, plan, write)."""

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings

from syncs.imports import rows as R
from syncs.imports.errors import ErrorSink
from syncs.imports.reading import CsvStream, Record
from syncs.models import Catalog

CHUNK_ROWS = 2000
COPY_ROWS = 20000


class ImportCancelled(Exception):
    """The admin cancelled the job while it ran: nothing is written."""


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class Plan:
    counts: Counts
    # One dict per catalog the import touches (products only), see ImportJob.safeguard.
    safeguard: list[dict] = field(default_factory=list)
    catalogs_to_register: int = 0
    # What the stored rows it updates would get, column by column: see summary.Tally.as_dict.
    changes: dict = field(default_factory=dict)

    @property
    def safeguard_exceeded(self) -> bool:
        return any(entry["exceeded"] for entry in self.safeguard)


def safeguard_entry(
    *,
    catalog_id,
    catalog: str,
    existing: int,
    created: int,
    unchanged: int,
    stock_outs: int,
    changes: int,
) -> dict:
    """The figures for one catalog and whether they cross IMPORT_MAX_STOCKOUT_SHARE or half."""
    products = existing + created
    stock_out_share = stock_outs / products if products else 0.0
    change_share = changes / existing if existing else 0.0
    return {
        "catalog_id": catalog_id,
        "catalog": catalog,
        "products": products,
        "existing": existing,
        "created": created,
        "unchanged": unchanged,
        "stock_outs": stock_outs,
        "changes": changes,
        "stock_out_share": round(stock_out_share, 4),
        "change_share": round(change_share, 4),
        "exceeded": stock_out_share > settings.IMPORT_MAX_STOCKOUT_SHARE or change_share > 0.5,
    }


class CatalogResolver:
    """catalogId (CitrusAd's id) -> local Catalog id; unknown ids are registered at write time."""

    def __init__(self, default_catalog_id: int | None):
        self.default_catalog_id = default_catalog_id
        self._known: dict[str, int | None] = {}

    def resolve(self, ref: str | None) -> int | None:
        if ref is None:
            return self.default_catalog_id
        if ref not in self._known:
            self._known[ref] = (
                Catalog.objects.filter(citrusad_id=ref).values_list("id", flat=True).first()
            )
        return self._known[ref]

    @property
    def unknown(self) -> list[str]:
        return [ref for ref, pk in self._known.items() if pk is None]

    def register_unknown(self) -> list[Catalog]:
        """Register every unknown catalogId as an existing CitrusAd catalog (inside the write)."""
        registered = []
        for ref in self.unknown:
            catalog, created = Catalog.objects.get_or_create(
                citrusad_id=ref,
                defaults={"name": f"Catalog {ref}", "team_id": settings.CITRUSAD_TEAM_ID},
            )
            self._known[ref] = catalog.pk
            if created:
                registered.append(catalog)
        return registered


class KindImport(ABC):
    """Common shape of an import: feed records, then plan, then write.

    `job_id` names the job whose history (ImportChange rows) the write records.
    """

    kind: str  # an ImportKind

    def __init__(
        self, *, job_id: int, columns: R.Columns, errors: ErrorSink, job_catalog_id: int | None
    ):
        self.job_id = job_id
        self.columns = columns
        self.errors = errors
        self.catalogs = CatalogResolver(job_catalog_id)
        self.rows_read = 0
        self.registered: list[Catalog] = []

    @abstractmethod
    def add(self, record: Record) -> None:
        """Validate one record and stage it, or send it to the error file."""

    def parsed(self, record: Record, parser: Callable[..., dict], **options) -> dict | None:
        """`parser`'s row for the record, its warnings noted in the error file; None when the
        record is invalid (it went to the error file with its reason)."""
        warnings: list[str] = []
        try:
            row = parser(self.columns, record.cells, warnings=warnings, **options)
        except R.RowError as exc:
            self.errors.add(record.line, record.cells, str(exc), warning="; ".join(warnings))
            return None
        if warnings:
            self.errors.warn(record.line, record.cells, "; ".join(warnings))
        return row

    def finish_staging(self, stream_factory: Callable[[], CsvStream]) -> None:  # noqa: B027
        """Called once every record was added; may re-read the file for late errors."""

    @abstractmethod
    def field_columns(self) -> dict[str, str]:
        """The fields the file sets -> the CSV column a person knows each by."""

    @abstractmethod
    def plan(self) -> Plan:
        """What writing would do, without writing."""

    @abstractmethod
    def write(self) -> Counts:
        """Create and update the changed rows and mark them pending (inside a transaction)."""

    def statistics_refresh(self, counts: Counts) -> None:  # noqa: B027 (a default: nothing)
        """After the write committed: bring the database's statistics up to date if need be."""

    def close(self) -> None:  # noqa: B027 (a default: nothing to drop)
        """Drop whatever staging holds."""


def report_lines(
    stream_factory: Callable[[], CsvStream], errors: ErrorSink, found: Iterable[tuple[int, str]]
) -> None:
    """Send the records of `found` (line, message), ascending by line, to the error file: the
    file is read again, so the cells of rows found invalid after staging are never held."""
    pending = iter(found)
    wanted = next(pending, None)
    if wanted is None:
        return
    with stream_factory() as stream:
        for record in stream.records():
            if record.line == wanted[0]:
                errors.add(record.line, record.cells, wanted[1])
                wanted = next(pending, None)
                if wanted is None:
                    return
