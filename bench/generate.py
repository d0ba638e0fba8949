"""Generate a large, deterministic initiative for the benchmarks.

    python bench/generate.py [--observations 10000000] [--seed 6] [--slug bench]
                             [--database-url URL]

The metadata is made through the real services, as a backbone team would make it: the
initiative, 300 partner organizations and their partnerships, the race/ethnicity (7 groups) and
sex dimensions and their breakdowns, 120 monthly periods (2015-01 … 2024-12), a place hierarchy of
1 region → 10 counties → 240 neighborhoods, and 50 indicators (even ones counts added up, odd
ones percents combined as a ratio of sums, with numerators and denominators; the first 20 split
by race/ethnicity and by sex).

The observations are then written with the database driver alone (``COPY`` on PostgreSQL,
``executemany`` on SQLite) — millions of rows through the ORM would take hours. They are all
approved, community data reported by partners, without audit rows (a bulk load, not edits).

Which rows exist: "strips" of one indicator × neighborhood × reporting partner, every month and
group, taken in order (pass 0: every indicator at every neighborhood by its first partner; pass 1:
a second partner, indicator by indicator …) until the wanted number of rows is reached. So every
size has complete 120-month series for the first indicators; 10 million rows fill pass 0 and part
of pass 1. Rows are written month by month, as data arrives, not indicator by indicator. Groups
add up to their total (race groups and sex groups each); numerators never exceed denominators.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RACE = [
    ("aian", "American Indian or Alaska Native"),
    ("asian", "Asian"),
    ("black", "Black or African American"),
    ("hispanic", "Hispanic or Latino"),
    ("nhpi", "Native Hawaiian or Pacific Islander"),
    ("white", "White"),
    ("multi", "Two or more races"),
]
RACE_WEIGHTS = [2, 6, 28, 24, 1, 35, 4]  # percent of each total, the last group takes the rest
SEX = [("f", "Female"), ("m", "Male")]
SEX_WEIGHTS = [51, 49]
COUNTIES = 10
NEIGHBORHOODS = 240
MONTHS = 120
FIRST_YEAR = 2015
ORGANIZATIONS = 300
INDICATORS = 50
SPLIT = 20  # indicators 0..SPLIT-1 are split by race/ethnicity and by sex
DEFAULT_OBSERVATIONS = 10_000_000
DEFAULT_SEED = 6
COLUMNS = (
    "indicator_id",
    "place_id",
    "period_id",
    "breakdown_id",
    "organization_id",
    "value",
    "numerator",
    "denominator",
    "quality",
    "status",
    "note",
    "version",
    "updated_at",
)
TABLE = "measurement_observation"


@dataclass
class Network:
    """What the generator made, for the measurements (ids and objects)."""

    initiative: object
    region: object
    counties: list = field(default_factory=list)
    neighborhoods: list = field(default_factory=list)
    periods: list = field(default_factory=list)
    indicators: list = field(default_factory=list)
    organizations: list = field(default_factory=list)
    total: object = None
    race: object = None
    race_breakdowns: list = field(default_factory=list)
    sex_breakdowns: list = field(default_factory=list)
    observations: int = 0
    seconds_metadata: float = 0.0
    seconds_rows: float = 0.0

    @property
    def slug(self) -> str:
        return self.initiative.slug  # type: ignore[attr-defined]


def month_code(m: int) -> str:
    return f"{FIRST_YEAR + m // 12}-{m % 12 + 1:02d}"


def is_split(i: int) -> bool:
    return i < SPLIT


def is_rate(i: int) -> bool:
    return i % 2 == 1


def partner_of(neighborhood: int, pass_: int) -> int:
    """The partner (index) reporting at ``neighborhood`` in ``pass_``: a different one each pass
    (240 × pass mod 300 is a multiple of 60, never 0 for the first five passes)."""
    return (neighborhood + NEIGHBORHOODS * pass_) % ORGANIZATIONS


def make_metadata(slug: str = "bench", name: str = "Benchmark network") -> Network:
    """The initiative and everything but the observations, through the services."""
    from django.db import transaction

    from backbone.core.models import Initiative, PartnerKind, Sector
    from backbone.core.permissions import COMMAND_LINE
    from backbone.core.services import organization_create, partnership_add
    from backbone.measurement.library import indicator_create, place_create
    from backbone.measurement.periods import PeriodType
    from backbone.measurement.services import breakdown_for, dimension_define, period_for

    actor = COMMAND_LINE
    with transaction.atomic():
        # Initiatives are created by platform operators from the command line (no service).
        initiative = Initiative.objects.create(
            slug=slug, name=name, geography="Bench region", is_public=True
        )
        net = Network(initiative=initiative, region=None)
        for k in range(ORGANIZATIONS):
            org = organization_create(
                actor=actor,  # type: ignore[arg-type]
                initiative=initiative,
                name=f"{slug} partner {k:03d}",
                sector=Sector.NONPROFIT,
                external_code=f"ORG{k:03d}",
            )
            partnership_add(
                actor=actor,  # type: ignore[arg-type]
                initiative=initiative,
                organization=org,
                kind=PartnerKind.PARTNER,
                joined_on=date(FIRST_YEAR, 1, 1),
            )
            net.organizations.append(org)
        race = dimension_define(
            initiative=initiative, code="race", name="Race/ethnicity", members=RACE
        )
        sex = dimension_define(initiative=initiative, code="sex", name="Sex", members=SEX)
        net.race = race
        net.total = breakdown_for(initiative, {})
        net.race_breakdowns = [breakdown_for(initiative, {"race": c}) for c, _n in RACE]
        net.sex_breakdowns = [breakdown_for(initiative, {"sex": c}) for c, _n in SEX]
        net.periods = [period_for(month_code(m)) for m in range(MONTHS)]
        net.region = place_create(
            actor=actor, initiative=initiative, code="R", name="Bench region", level="region"
        )
        for c in range(COUNTIES):
            county = place_create(
                actor=actor,
                initiative=initiative,
                code=f"C{c:02d}",
                name=f"County {c:02d}",
                level="county",
                parent=net.region,
            )
            net.counties.append(county)
        per_county = NEIGHBORHOODS // COUNTIES
        for n in range(NEIGHBORHOODS):
            net.neighborhoods.append(
                place_create(
                    actor=actor,
                    initiative=initiative,
                    code=f"N{n:03d}",
                    name=f"Neighborhood {n:03d}",
                    level="neighborhood",
                    parent=net.counties[n // per_county],
                )
            )
        for i in range(INDICATORS):
            rate = is_rate(i)
            data = {
                "code": f"ind-{i:02d}",
                "name": f"Benchmark {'percent' if rate else 'count'} {i:02d}",
                "definition": "A generated indicator for the benchmarks.",
                "unit": "percent" if rate else "count",
                "rate_base": 100,
                "decimals": 1 if rate else 0,
                "direction": "up" if rate else "down",
                "level": "population",
                "aggregation": "ratio" if rate else "sum",
                "numerator_label": "people served well" if rate else "",
                "denominator_label": "people served" if rate else "",
                "period_type": PeriodType.MONTH,
                "is_public": True,
                "parts_rule": "warning",
            }
            dims = [race, sex] if is_split(i) else []
            net.indicators.append(
                indicator_create(actor=actor, initiative=initiative, data=data, dimensions=dims)
            )
    return net


# --- The observations -----------------------------------------------------------------------


def strips(observations: int) -> list[tuple[int, int, int, int]]:
    """``(pass, indicator, neighborhood, rows)`` in the order they are taken, the last one cut
    so that the rows add up to ``observations``."""
    out: list[tuple[int, int, int, int]] = []
    left, pass_ = observations, 0
    while left > 0:
        if pass_ >= 5:
            raise ValueError("At most five passes (about 33 million observations).")
        for i in range(INDICATORS):
            size = MONTHS * (1 + len(RACE) + len(SEX) if is_split(i) else 1)
            for n in range(NEIGHBORHOODS):
                take = min(size, left)
                out.append((pass_, i, n, take))
                left -= take
                if left == 0:
                    return out
        pass_ += 1
    return out


def _split(total: int, weights: list[int]) -> list[int]:
    parts = [total * w // 100 for w in weights[:-1]]
    return [*parts, total - sum(parts)]


def rows(net: Network, observations: int, seed: int = DEFAULT_SEED) -> Iterator[tuple]:
    """Every observation as a tuple of ``COLUMNS`` (ids and numbers), month by month."""
    rng = random.Random(seed)
    base = [[rng.randint(200, 2000) for _n in range(NEIGHBORHOODS)] for _i in range(INDICATORS)]
    share = [[rng.randint(20, 80) for _n in range(NEIGHBORHOODS)] for _i in range(INDICATORS)]
    plan = strips(observations)
    ind = [x.pk for x in net.indicators]
    places = [x.pk for x in net.neighborhoods]
    orgs = [x.pk for x in net.organizations]
    total_id = net.total.pk  # type: ignore[attr-defined]
    race_ids = [b.pk for b in net.race_breakdowns]
    sex_ids = [b.pk for b in net.sex_breakdowns]
    stamp = datetime.now(UTC).replace(microsecond=0)
    for m in range(MONTHS):
        period = net.periods[m].pk
        for pass_, i, n, limit in plan:
            split = is_split(i)
            width = 1 + len(RACE) + len(SEX) if split else 1
            first = m * width
            if first >= limit:
                continue
            wanted = min(width, limit - first)
            # People counted this month: a base per place, a slow trend, a little noise.
            people = base[i][n] + (m * (n % 7 - 3)) // 4 + (n * 31 + m * 17 + i * 7 + pass_) % 23
            people = max(people, 20)
            key = (ind[i], places[n], period)
            org = orgs[partner_of(n, pass_)]
            if is_rate(i):
                pct = share[i][n] + (m + n) % 9 - 4
                groups = _split(people, RACE_WEIGHTS) if split else []
                sexes = _split(people, SEX_WEIGHTS) if split else []
                dens = [people, *groups, *sexes]
                if split:
                    race_nums = [d * pct // 100 for d in groups]
                    total_num = sum(race_nums)
                    female = sexes[0] * pct // 100
                    nums = [total_num, *race_nums, female, total_num - female]
                else:
                    nums = [people * pct // 100]
                breakdowns = [total_id, *race_ids, *sex_ids] if split else [total_id]
                for b, num, den in list(zip(breakdowns, nums, dens, strict=True))[:wanted]:
                    value = f"{num * 100 / den:.6f}"
                    yield (*key, b, org, value, num, den, "", "approved", "", 1, stamp)
            else:
                if split:
                    groups = _split(people, RACE_WEIGHTS)
                    figures = [people, *groups, *_split(people, SEX_WEIGHTS)]
                    breakdowns = [total_id, *race_ids, *sex_ids]
                else:
                    figures, breakdowns = [people], [total_id]
                for b, value in list(zip(breakdowns, figures, strict=True))[:wanted]:
                    yield (*key, b, org, value, None, None, "", "approved", "", 1, stamp)


def _text(value: object) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def bulk_insert(
    row_iter: Iterator[tuple], *, table: str = TABLE, fast_load: bool, analyze: bool = True
) -> int:
    """Write rows of ``COLUMNS`` into ``table`` with the driver alone; returns the count.

    ``fast_load`` (for generating, never for a measured baseline): drop the table's secondary
    indexes first and build them again after, and on PostgreSQL skip the foreign-key checks —
    much faster for millions of rows made from ids just read.
    """
    from django.db import connection, transaction

    count = 0
    with transaction.atomic(), connection.cursor() as cursor:
        saved = _drop_indexes(cursor, table) if fast_load else []
        if connection.vendor == "postgresql" and fast_load:
            # Django's foreign keys are checked at commit; a bulk load of rows made from ids we
            # just read skips those checks (superuser), or has them run row by row at once.
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if cursor.fetchone()[0]:
                cursor.execute("SET LOCAL session_replication_role = replica")
            else:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            statement = f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN"
            with raw.copy(statement) as copy:
                buffer = io.StringIO()
                for row in row_iter:
                    buffer.write("\t".join(map(_text, row)))
                    buffer.write("\n")
                    count += 1
                    if count % 50_000 == 0:
                        copy.write(buffer.getvalue())
                        buffer = io.StringIO()
                copy.write(buffer.getvalue())
        else:
            # The table and columns are constants of this module.
            names, marks = ", ".join(COLUMNS), ", ".join("?" for _c in COLUMNS)
            statement = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
            raw = cursor.cursor
            chunk: list[tuple] = []
            for row in row_iter:
                chunk.append(tuple(_sqlite(v) for v in row))
                if len(chunk) == 50_000:
                    raw.executemany(statement, chunk)
                    count += len(chunk)
                    chunk = []
            raw.executemany(statement, chunk)
            count += len(chunk)
        for sql in saved:
            cursor.execute(sql)
    if analyze:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
    return count


def _sqlite(value: object) -> object:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(" ")
    return value


def _drop_indexes(cursor, table: str) -> list[str]:
    """Drop ``table``'s indexes that do not back a constraint; return the SQL to remake them."""
    from django.db import connection

    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.tablename = %s AND NOT EXISTS ("
            "  SELECT 1 FROM pg_constraint c"
            "  WHERE c.conindid = (quote_ident(i.indexname))::regclass"
            ")",
            [table],
        )
    else:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
            "AND sql IS NOT NULL",
            [table],
        )
    found = cursor.fetchall()
    for name, _sql in found:
        cursor.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in found]


def generate(
    observations: int = DEFAULT_OBSERVATIONS,
    *,
    seed: int = DEFAULT_SEED,
    slug: str = "bench",
    fast_load: bool | None = None,
) -> Network:
    """Make the network and its observations in the configured database."""
    started = time.perf_counter()
    net = make_metadata(slug)
    net.seconds_metadata = time.perf_counter() - started
    started = time.perf_counter()
    fast = observations >= 200_000 if fast_load is None else fast_load
    net.observations = bulk_insert(rows(net, observations, seed), fast_load=fast)
    net.seconds_rows = time.perf_counter() - started
    return net


def load(slug: str = "bench") -> Network:
    """The network a previous ``generate`` made (same objects, looked up)."""
    from backbone.core.models import Initiative
    from backbone.measurement.models import Breakdown, Indicator, Observation, Period, Place

    initiative = Initiative.objects.get(slug=slug)
    places = {p.code: p for p in Place.objects.filter(initiative=initiative)}
    breakdowns = {b.key: b for b in Breakdown.objects.filter(initiative=initiative)}
    orgs = sorted(
        (p.organization for p in initiative.partnerships.select_related("organization")),
        key=lambda o: o.external_code,
    )
    net = Network(
        initiative=initiative,
        region=places["R"],
        counties=[places[f"C{c:02d}"] for c in range(COUNTIES)],
        neighborhoods=[places[f"N{n:03d}"] for n in range(NEIGHBORHOODS)],
        periods=list(Period.objects.filter(code__in=[month_code(m) for m in range(MONTHS)])),
        indicators=list(Indicator.objects.filter(initiative=initiative).order_by("code")),
        organizations=orgs,
        total=breakdowns[""],
        race=initiative.dimensions.get(code="race"),
        race_breakdowns=[breakdowns[f"race:{c}"] for c, _n in RACE],
        sex_breakdowns=[breakdowns[f"sex:{c}"] for c, _n in SEX],
    )
    net.periods.sort(key=lambda p: p.start)
    net.observations = Observation.objects.filter(indicator__initiative=initiative).count()
    return net


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--observations", type=int, default=DEFAULT_OBSERVATIONS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--slug", default="bench")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--migrate", action="store_true", help="migrate the database first")
    args = parser.parse_args()
    from bench.common import setup_django

    setup_django(args.database_url)
    if args.migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    net = generate(args.observations, seed=args.seed, slug=args.slug)
    print(
        f"{net.observations:,} observations in {net.seconds_rows:.1f} s "
        f"({net.observations / max(net.seconds_rows, 1e-9):,.0f} rows/s); "
        f"metadata in {net.seconds_metadata:.1f} s"
    )


if __name__ == "__main__":
    main()
