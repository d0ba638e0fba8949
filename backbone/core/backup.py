"""Backing up one initiative to a file, and restoring it into this database or another one.

The file (``docs/adr/0006-backup-format.md``) is gzip-compressed JSON Lines: a header, then one
line per row — parents before children, each observation followed by its history — then an
``end`` line with the counts. Rows are ``{"kind", "id", "fields"}``; ``id`` is the row's id in
the database it came from and is used only to tie rows of the same file together.

What a restore keeps:

* **Nothing relies on ids being free.** Every row gets a new id in the target database; the
  references between rows (and audit entries' ``object_id``) are translated as they are read.
* **Shared rows are re-used, not copied.** A person with the same email address, an organization
  with the same name, a period with the same code and start already in the target database are
  the ones the initiative points to; their details there are left as they are.
* **Exactly as it was.** Values, statuses, versions, timestamps and the whole history come back
  unchanged, so a backup of the restored initiative equals the original (``canonical``).
* **All or nothing, streaming.** The restore is one transaction. Observations are read, written
  and forgotten in batches; only the ids of the small tables are kept in memory.

Backups hold people's email addresses, names and password hashes: only platform operators (the
command line) may make or restore them, and the file is created readable by its owner only.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import secrets
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_slug
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from backbone.core import permissions
from backbone.core.errors import DomainError
from backbone.core.models import Initiative
from backbone.core.permissions import AnyUser

FORMAT = "backbone-backup"
VERSION = 1
APPS = ("core", "measurement")
BATCH = 2000


class BackupUnreadable(DomainError):
    """The file is not a Backbone backup, is damaged, or needs a newer Backbone."""


class RestoreRefused(DomainError):
    """The backup is fine but cannot go into this database as asked (e.g. the slug is taken)."""


@dataclass(frozen=True)
class Kind:
    """One kind of row in the file: which model, and how a row is recognised elsewhere.

    ``identity``: the fields (references included) that name a row without ids — used to compare
    backups. ``reuse``: the fields matched against rows already in the target database.
    """

    name: str
    label: str
    scope: str = ""  # lookup from the model to the initiative's id ("" = shared, by reference)
    identity: tuple[str, ...] = ()
    reuse: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @cached_property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.label)

    @cached_property
    def fields(self) -> list[models.Field]:
        return [
            f
            for f in self.model._meta.concrete_fields
            if not f.primary_key and f.name not in self.exclude
        ]

    @cached_property
    def many(self) -> list[models.ManyToManyField]:
        return [f for f in self.model._meta.many_to_many if f.name not in self.exclude]

    @cached_property
    def refs(self) -> dict[str, str]:
        """Field name → the kind it points to, for foreign keys and many-to-many fields."""
        return {
            f.name: kind_of(f.related_model).name
            for f in [*self.fields, *self.many]
            if f.is_relation
        }


# In file order: everything a row points to comes before it.
KINDS = (
    Kind("initiative", "core.Initiative", scope="pk", identity=("slug",)),
    Kind("organization", "core.Organization", identity=("name",), reuse=("name",)),
    Kind(
        "user",
        "core.User",
        identity=("email",),
        reuse=("email",),
        # Platform-operator rights belong to an installation, not to an initiative.
        exclude=("is_staff", "is_superuser", "groups", "user_permissions"),
    ),
    Kind("partnership", "core.Partnership", scope="initiative", identity=("organization",)),
    Kind(
        "membership",
        "core.Membership",
        identity=("user", "organization"),
        reuse=("user", "organization"),
    ),
    Kind("period", "measurement.Period", identity=("code", "start"), reuse=("code", "start")),
    Kind("dimension", "measurement.Dimension", scope="initiative", identity=("code",)),
    Kind(
        "dimension_member",
        "measurement.DimensionMember",
        scope="dimension__initiative",
        identity=("dimension", "code"),
    ),
    Kind("breakdown", "measurement.Breakdown", scope="initiative", identity=("key",)),
    Kind("place", "measurement.Place", scope="initiative", identity=("code",)),
    Kind("indicator", "measurement.Indicator", scope="initiative", identity=("code",)),
    Kind("indicator_revision", "measurement.IndicatorRevision", scope="indicator__initiative"),
    Kind("annotation", "measurement.Annotation", scope="indicator__initiative"),
    Kind("target", "measurement.Target", scope="indicator__initiative"),
    Kind("narrative", "measurement.Narrative", scope="indicator__initiative"),
    Kind("goal", "agenda.Goal", scope="initiative", identity=("title",)),
    Kind("outcome", "agenda.Outcome", scope="goal__initiative", identity=("goal", "title")),
    Kind("reporting_round", "measurement.ReportingRound", scope="initiative"),
    Kind("submission", "measurement.Submission", scope="round__initiative"),
    Kind("invitation", "core.Invitation", scope="initiative"),
    Kind("observation", "measurement.Observation", scope="indicator__initiative"),
    Kind(
        "observation_change",
        "measurement.ObservationChange",
        scope="observation__indicator__initiative",
    ),
    Kind("audit_event", "core.AuditEvent", scope="initiative"),
)
KIND = {k.name: k for k in KINDS}
_BY_LABEL = {k.label.lower(): k for k in KINDS}
# Kinds whose new ids a restore keeps in memory (all but the big two, which go by in batches):
# an audit entry about one of these gets the new id; about anything else, no id.
_REMEMBERED = frozenset(KIND) - {"observation", "observation_change"}


def kind_of(model: type[models.Model]) -> Kind:
    return _BY_LABEL[model._meta.label_lower]


def _audited_kind(object_type: str) -> str | None:
    """The kind an audit entry is about, if its id can be carried to another database."""
    kind = _BY_LABEL.get(object_type)
    return kind.name if kind and kind.name in _REMEMBERED else None


def _require_operator(actor: AnyUser) -> None:
    # A backup holds everyone's password hashes: platform operators only (the command line).
    if not permissions.is_operator(actor):
        raise PermissionDenied("backup")


def _schema() -> dict[str, list[str]]:
    """The latest migration of each app, to tell whether a backup came from a newer Backbone."""
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    return {app: sorted(n for a, n in graph.leaf_nodes() if a == app) for app in APPS}


def _backbone_version() -> str:
    try:
        return metadata.version("backbone")
    except metadata.PackageNotFoundError:
        return "unknown"


# --- Backup --------------------------------------------------------------------------------


@dataclass
class BackupReport:
    path: Path
    counts: dict[str, int]
    bytes: int = 0


def _dump(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")  # exact, never a float
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


class _Selection:
    """The rows of one initiative, kind by kind, as querysets (nothing is loaded yet)."""

    def __init__(self, initiative: Initiative) -> None:
        self.initiative = initiative
        self.querysets: dict[str, models.QuerySet] = {}
        for kind in KINDS:
            if kind.scope:
                self.querysets[kind.name] = kind.model.objects.filter(**{kind.scope: initiative.pk})
        self.querysets["organization"] = self._shared("organization")
        organizations = self.querysets["organization"].values("pk")
        self.querysets["membership"] = KIND["membership"].model.objects.filter(
            organization__in=organizations
        )
        self.querysets["user"] = self._shared("user")
        self.querysets["period"] = self._shared("period")

    def _shared(self, target: str) -> models.QuerySet:
        """Rows of a shared kind that any selected row points to."""
        ids: set[int] = set()
        for name, queryset in self.querysets.items():
            if name == target:
                continue
            for field_name, kind_name in KIND[name].refs.items():
                if kind_name == target:
                    ids.update(
                        queryset.order_by()
                        .filter(**{f"{field_name}__isnull": False})
                        .values_list(field_name, flat=True)
                        .distinct()
                    )
        return KIND[target].model.objects.filter(pk__in=ids)

    def counts(self) -> dict[str, int]:
        return {kind.name: self.querysets[kind.name].count() for kind in KINDS}

    def rows(self, kind: Kind, order: tuple[str, ...] = ("pk",)) -> Iterator[dict[str, Any]]:
        queryset = self.querysets[kind.name].order_by(*order)
        many = {f.name: self._many(f, queryset) for f in kind.many}
        names = ["pk", *(f.attname for f in kind.fields)]
        rows: Iterator[dict[str, Any]] = queryset.values(*names).iterator(chunk_size=BATCH)
        if kind.name == "place":
            rows = iter(_parents_first(list(rows)))
        for row in rows:
            fields = {f.name: _dump(row[f.attname]) for f in kind.fields}
            for name, links in many.items():
                fields[name] = sorted(links.get(row["pk"], ()))
            yield {"kind": kind.name, "id": row["pk"], "fields": fields}

    @staticmethod
    def _many(f: models.ManyToManyField, queryset: models.QuerySet) -> dict[int, list[int]]:
        source, target = f.m2m_field_name(), f.m2m_reverse_field_name()
        links: dict[int, list[int]] = defaultdict(list)
        through = f.remote_field.through.objects.filter(**{f"{source}__in": queryset.values("pk")})
        for owner, other in through.values_list(f"{source}_id", f"{target}_id"):
            links[owner].append(other)
        return links


def _parents_first(places: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Places ordered so that every place comes after the place it lies in."""
    done: set[int] = set()
    ordered: list[dict[str, Any]] = []
    pending = places
    while pending:
        ready = [p for p in pending if p["parent_id"] is None or p["parent_id"] in done]
        if not ready:
            raise DomainError("The places' hierarchy has a loop.")
        ordered.extend(ready)
        done.update(p["pk"] for p in ready)
        pending = [p for p in pending if p["pk"] not in done]
    return ordered


def initiative_backup(*, actor: AnyUser, initiative: Initiative, path: Path) -> BackupReport:
    """Write ``initiative`` and everything of it to ``path`` (replaced only once complete).

    Read in one consistent snapshot (one transaction; repeatable read on PostgreSQL), so the
    counts in the header are the rows in the file even while people keep working.
    """
    _require_operator(actor)
    path = Path(path)
    snapshot = not connection.in_atomic_block
    with transaction.atomic():
        if snapshot and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        selection = _Selection(initiative)
        counts = selection.counts()
        header = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": timezone.now().isoformat(),
            "backbone_version": _backbone_version(),
            "database": connection.vendor,
            "schema": _schema(),
            "initiative": {"slug": initiative.slug, "name": initiative.name},
            "counts": counts,
        }
        with _atomic_file(path) as out:
            _write(out, header)
            for record in _records_of(selection):
                _write(out, record)
            _write(out, {"kind": "end", "counts": counts})
    return BackupReport(path=path, counts=counts, bytes=path.stat().st_size)


def _records_of(selection: _Selection) -> Iterator[dict[str, Any]]:
    for kind in KINDS:
        if kind.name == "observation":
            yield from _observations_with_history(selection)
        elif kind.name != "observation_change":
            yield from selection.rows(kind)


def _observations_with_history(selection: _Selection) -> Iterator[dict[str, Any]]:
    """Each observation followed by its changes: two sorted streams merged, so that a restore
    ties them together with one batch of ids in memory."""
    changes = selection.rows(KIND["observation_change"], order=("observation_id", "version"))
    pending = next(changes, None)
    for observation in selection.rows(KIND["observation"]):
        yield observation
        while pending is not None and pending["fields"]["observation"] == observation["id"]:
            yield pending
            pending = next(changes, None)
    if pending is not None:
        raise DomainError("A change belongs to an observation outside the initiative.")


def _write(out: IO[str], record: dict[str, Any]) -> None:
    out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
    out.write("\n")


@contextmanager
def _atomic_file(path: Path) -> Iterator[IO[str]]:
    """A gzip text stream to a temporary file (mode 0600) renamed to ``path`` when complete."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with (
            open(fd, "wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", filename="") as compressed,
            io.TextIOWrapper(compressed, encoding="utf-8", newline="\n") as text,
        ):
            yield text
        os.replace(temporary, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


# --- Reading a file ------------------------------------------------------------------------


@contextmanager
def _lines(path: Path) -> Iterator[Iterator[dict[str, Any]]]:
    """The file's records, one dict per line (gzip or plain JSON Lines)."""
    try:
        with open(path, "rb") as probe:
            magic = probe.read(2)
    except OSError as exc:
        raise BackupUnreadable(f"Cannot open {path}: {exc.strerror}.") from exc
    opener = gzip.open if magic == b"\x1f\x8b" else open
    with opener(path, "rt", encoding="utf-8") as handle:

        def records() -> Iterator[dict[str, Any]]:
            number = 0
            try:
                for line in handle:
                    number += 1
                    if line.strip():
                        record = json.loads(line)
                        if not isinstance(record, dict):
                            raise ValueError("not an object")
                        yield record
            except (OSError, EOFError, ValueError) as exc:
                raise BackupUnreadable(
                    f"The backup is damaged at line {number + 1} ({exc}). Use another copy."
                ) from exc

        yield records()


def _header(records: Iterator[dict[str, Any]]) -> dict[str, Any]:
    try:
        header = next(records, None)
    except BackupUnreadable:
        header = None
    if not header or header.get("format") != FORMAT:
        raise BackupUnreadable("This is not a Backbone backup file.")
    if header.get("version") != VERSION:
        raise BackupUnreadable(
            f"This backup is in format version {header.get('version')}; this Backbone reads "
            f"version {VERSION}. Restore it with the Backbone version that made it "
            f"({header.get('backbone_version', 'unknown')}) or a newer one."
        )
    known = MigrationLoader(None, ignore_no_migrations=True).graph.nodes
    newer = [
        f"{app}.{name}"
        for app, names in (header.get("schema") or {}).items()
        for name in names
        if (app, name) not in known
    ]
    if newer:
        raise BackupUnreadable(
            f"This backup was made by a newer Backbone ({header.get('backbone_version')}; it "
            f"knows {', '.join(newer)}). Upgrade Backbone, then restore it."
        )
    return header


def canonical(path: Path) -> list[str]:
    """The backup as id-free lines, to compare two backups: references are replaced by what they
    point to (a code, an email, a name) or, for rows without such a name, by their position
    among rows of their kind. Two backups of the same data give the same lines, whatever the
    database and its ids."""
    keys: dict[str, dict[int, Any]] = defaultdict(dict)
    positions: Counter[str] = Counter()
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    with _lines(Path(path)) as records:
        header = _header(records)
        for record in records:
            if record.get("kind") == "end":
                break
            kind = KIND[record["kind"]]
            fields = _canonical_fields(kind, record["fields"], keys)
            if kind.identity:
                key: Any = [fields[name] for name in kind.identity]
            else:
                key = positions[kind.name]
                positions[kind.name] += 1
            keys[kind.name][record["id"]] = key
            line = json.dumps(
                {"kind": kind.name, "key": key, "fields": fields}, sort_keys=True, default=str
            )
            out[kind.name].append((json.dumps(key) if kind.identity else "", line))
    lines = [json.dumps({"counts": header["counts"]}, sort_keys=True)]
    for kind in KINDS:
        rows = out[kind.name]
        lines.extend(line for _key, line in (sorted(rows) if kind.identity else rows))
    return lines


def _canonical_fields(
    kind: Kind, fields: dict[str, Any], keys: dict[str, dict[int, Any]]
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in fields.items():
        target = kind.refs.get(name)
        if target is None:
            result[name] = value
        elif isinstance(value, list):
            result[name] = sorted(json.dumps(keys[target].get(v)) for v in value)
        else:
            result[name] = None if value is None else keys[target].get(value, "?")
    if kind.name == "audit_event":
        about = _audited_kind(fields.get("object_type", ""))
        object_id = fields.get("object_id", "")
        known = keys[about] if about else {}
        result["object_id"] = known.get(int(object_id)) if object_id.isdigit() else None
    return result


# --- Restore -------------------------------------------------------------------------------


@dataclass
class RestoreReport:
    initiative: Initiative
    created: Counter[str] = field(default_factory=Counter)
    reused: Counter[str] = field(default_factory=Counter)
    invitations_unlinked: int = 0  # invitation links that stay with the original initiative


def initiative_restore(*, actor: AnyUser, path: Path, as_slug: str | None = None) -> RestoreReport:
    """Re-create the initiative in ``path`` in this database, all or nothing.

    Refused (``RestoreRefused``) if an initiative with the slug already exists here: restore it
    beside the original with ``as_slug``. ``BackupUnreadable`` if the file is not a complete
    backup this Backbone can read.
    """
    _require_operator(actor)
    if as_slug is not None:
        try:
            validate_slug(as_slug)
        except ValidationError as exc:
            raise RestoreRefused(
                f"“{as_slug}” cannot be a short name: use letters, digits, - and _ only."
            ) from exc
    _require_migrated()
    with _lines(Path(path)) as records:
        header = _header(records)
        slug = as_slug or header["initiative"]["slug"]
        with transaction.atomic():
            if Initiative.objects.filter(slug=slug).exists():
                raise RestoreRefused(
                    f"An initiative with the short name “{slug}” already exists here, so nothing "
                    f"was restored. Restore it under another name with --as-slug NEW-NAME."
                )
            restorer = _Restorer(slug)
            for record in records:
                if record.get("kind") == "end":
                    restorer.finish(header["counts"], record.get("counts"))
                    break
                restorer.add(record)
            else:
                raise BackupUnreadable(
                    "The backup is incomplete (it stops before its end). Use another copy."
                )
            return restorer.report


def _require_migrated() -> None:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise RestoreRefused(
            "This database is not up to date. Run “backbone migrate” first, then restore."
        )


class _Restorer:
    """Re-creates rows record by record, translating ids; observations in batches."""

    def __init__(self, slug: str) -> None:
        self.slug = slug
        self.ids: dict[str, dict[int, int]] = defaultdict(dict)
        self.seen: Counter[str] = Counter()
        self.batch: list[tuple[int, models.Model]] = []
        self.batch_changes: list[tuple[int, models.Model]] = []
        self.report: RestoreReport | None = None
        self.created: Counter[str] = Counter()
        self.reused: Counter[str] = Counter()
        self.unlinked = 0

    def add(self, record: dict[str, Any]) -> None:
        try:
            kind = KIND[record["kind"]]
            old_id, fields = int(record["id"]), record["fields"]
        except (KeyError, TypeError, ValueError) as exc:
            raise BackupUnreadable(f"The backup is damaged: a row is malformed ({exc}).") from exc
        self.seen[kind.name] += 1
        if kind.name == "observation":
            if len(self.batch) >= BATCH:
                self._flush()
            self.batch.append((old_id, self._instance(kind, fields)))
            return
        if kind.name == "observation_change":
            change = self._instance(kind, fields, skip=("observation",))
            self.batch_changes.append((int(fields.get("observation") or 0), change))
            return
        self._flush()
        obj = self._instance(kind, fields)
        if kind.reuse:
            existing = self._existing(kind, obj)
            if existing is not None:
                self.ids[kind.name][old_id] = existing
                self.reused[kind.name] += 1
                return
        self._prepare(kind, obj)
        obj.save_base(raw=True)  # raw: keep the timestamps as recorded, as loaddata does
        for f in kind.many:
            through = f.remote_field.through
            source, target = f.m2m_field_name(), f.m2m_reverse_field_name()
            other_kind = kind.refs[f.name]
            through.objects.bulk_create(
                through(**{f"{source}_id": obj.pk, f"{target}_id": self._ref(other_kind, other)})
                for other in fields.get(f.name, [])
            )
        self.ids[kind.name][old_id] = obj.pk
        self.created[kind.name] += 1
        if kind.name == "initiative":
            self.report = RestoreReport(initiative=obj)  # type: ignore[arg-type]

    def _instance(
        self, kind: Kind, fields: dict[str, Any], skip: tuple[str, ...] = ()
    ) -> models.Model:
        unknown = set(fields) - {f.name for f in [*kind.fields, *kind.many]}
        if unknown:
            raise BackupUnreadable(
                f"This backup has {kind.name} fields this Backbone does not know "
                f"({', '.join(sorted(unknown))}): it was made by a newer Backbone. Upgrade first."
            )
        values: dict[str, Any] = {}
        for f in kind.fields:
            if f.name not in fields or f.name in skip:
                continue
            raw = fields[f.name]
            if f.is_relation:
                values[f.attname] = None if raw is None else self._ref(kind.refs[f.name], raw)
            else:
                try:
                    values[f.attname] = f.to_python(raw)
                except ValidationError as exc:
                    raise BackupUnreadable(
                        f"The backup is damaged: {kind.name}.{f.name} = {raw!r}."
                    ) from exc
        return kind.model(**values)

    def _ref(self, kind_name: str, old_id: Any) -> int:
        try:
            return self.ids[kind_name][int(old_id)]
        except (KeyError, TypeError, ValueError) as exc:
            raise BackupUnreadable(
                f"The backup is damaged: it refers to {kind_name} {old_id}, which is not in it."
            ) from exc

    def _existing(self, kind: Kind, obj: models.Model) -> int | None:
        if kind.name == "user":
            lookup = {"email__iexact": obj.email}  # type: ignore[attr-defined]
        else:
            names = [kind.model._meta.get_field(n).attname for n in kind.reuse]
            lookup = {name: getattr(obj, name) for name in names}
        return kind.model.objects.filter(**lookup).values_list("pk", flat=True).first()

    def _prepare(self, kind: Kind, obj: Any) -> None:
        if kind.name == "initiative":
            obj.slug = self.slug
        elif kind.name == "invitation" and _taken(kind, obj.token_hash):
            # Restored beside the original: the link keeps working for the original only.
            obj.token_hash = secrets.token_hex(32)
            self.unlinked += 1
        elif kind.name == "audit_event":
            about = _audited_kind(obj.object_type)
            known = self.ids.get(about, {}) if about else {}
            old = int(obj.object_id) if obj.object_id.isdigit() else None
            # An id from another database means nothing here: translated, or left empty.
            obj.object_id = str(known[old]) if old in known else ""

    def _flush(self) -> None:
        if not self.batch:
            if self.batch_changes:
                raise BackupUnreadable("The backup is damaged: a change has no observation.")
            return
        kind, change_kind = KIND["observation"], KIND["observation_change"]
        observations = [obj for _old, obj in self.batch]
        _bulk_create(kind, observations)
        new_ids = {old: obj.pk for old, obj in self.batch}
        changes = []
        for old, change in self.batch_changes:
            if old not in new_ids:
                raise BackupUnreadable(
                    "The backup is damaged: a change is not next to its observation."
                )
            change.observation_id = new_ids[old]  # type: ignore[attr-defined]
            changes.append(change)
        _bulk_create(change_kind, changes)
        self.created["observation"] += len(observations)
        self.created["observation_change"] += len(changes)
        self.batch, self.batch_changes = [], []

    def finish(self, header_counts: dict[str, int], end_counts: Any) -> None:
        self._flush()
        expected = {k: int(v) for k, v in (header_counts or {}).items() if v}
        if end_counts != header_counts or dict(self.seen) != expected:
            raise BackupUnreadable(
                "The backup is damaged: it does not hold the rows its header lists. "
                "Use another copy."
            )
        if self.report is None:
            raise BackupUnreadable("The backup holds no initiative.")
        self.report.created, self.report.reused = self.created, self.reused
        self.report.invitations_unlinked = self.unlinked


def _bulk_create(kind: Kind, objs: list[models.Model]) -> None:
    """Insert ``objs`` in batches exactly as given, timestamps included, and set their new ids.

    ``bulk_create`` would stamp ``auto_now``/``auto_now_add`` fields with the current time; a raw
    insert — the one ``save_base(raw=True)`` and Django's ``loaddata`` use — keeps what was
    recorded. This is that insert, a batch at a time (the round-trip tests pin its behaviour).
    """
    model = kind.model
    meta = model._meta
    db = connections[DEFAULT_DB_ALIAS]
    if not objs:
        return
    if not db.features.can_return_rows_from_bulk_insert:  # pragma: no cover - old SQLite only
        for obj in objs:
            obj.save_base(raw=True)
        return
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field]
    size = max(min(BATCH, db.ops.bulk_batch_size(fields, objs)), 1)
    returning = meta.db_returning_fields
    for start in range(0, len(objs), size):
        chunk = objs[start : start + size]
        rows = model._base_manager._insert(chunk, fields, returning_fields=returning, raw=True)
        for obj, row in zip(chunk, rows, strict=True):
            for f, value in zip(returning, row, strict=True):
                setattr(obj, f.attname, value)
            obj._state.adding, obj._state.db = False, DEFAULT_DB_ALIAS


def _taken(kind: Kind, token_hash: str) -> bool:
    return kind.model.objects.filter(token_hash=token_hash).exists()
