"""Backup and restore: one initiative, with its whole history, out to a file and back — beside the
original in the same database, and into the other database engine (SQLite ↔ PostgreSQL).

The cross-engine test runs the real commands in subprocesses against a fresh database it creates
and drops: a temporary PostgreSQL database (at ``TEST_POSTGRES_URL``, by default
``postgres://postgres@127.0.0.1:5432/postgres``, or the server of ``DATABASE_URL``) and a
temporary SQLite file. It is skipped, saying why, when PostgreSQL cannot be reached.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import secrets
import stat
import subprocess
import sys
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.core import mail
from django.core.management import call_command
from django.db import connection

from backbone.core import services as core
from backbone.core.backup import canonical
from backbone.core.models import AuditEvent, Initiative, Invitation, Role, User
from backbone.measurement import services as s
from backbone.measurement.models import (
    Annotation,
    Narrative,
    Observation,
    ObservationChange,
    ObservationStatus,
    Unit,
)
from backbone.measurement.validation import Figures
from tests import factories as f

ROOT = Path(__file__).resolve().parents[2]
INVITE_TOKEN = re.compile(r"/accept/([A-Za-z0-9_-]+)/")


# --- A rich initiative -----------------------------------------------------------------------


def _entry(init, indicator, place, period, org=None, members=None, version=None, **figures):
    return s.Entry(
        indicator=indicator,
        place=place,
        period=s.period_for(period),
        breakdown=s.breakdown_for(init, members or {}),
        organization=org,
        figures=Figures(**{k: Decimal(str(v)) for k, v in figures.items()}),
        expected_version=version,
    )


def _record(actor, init, *entries, reason="", submission=None):
    return s.observations_record(
        actor=actor, initiative=init, entries=list(entries), reason=reason, submission=submission
    ).observations


def build_rich(capture) -> dict:
    """Partners, people, an invitation, two dimensions (crossed), a place hierarchy, three
    indicators (one revised), values with several versions, a restored version, an approved
    round, a returned report, annotations, targets and a narrative."""
    init = f.initiative(
        "rich",
        is_public=True,
        name="Riverside Together",
        vision="Every child housed, fed and reading.",
        suppression_threshold=5,
    )
    admin = f.backbone_admin(init, email="ada@backbone.test", org_name="Riverside Backbone")
    User.objects.filter(pk=admin.pk).update(full_name="Ada Admin")
    admin.refresh_from_db()
    clinic = f.partnership(init, f.organization("Clinic"))
    shelter = f.partnership(init, f.organization("Shelter"))
    steward = f.member(clinic.organization, Role.DATA_STEWARD, email="cleo@clinic.test")
    shelter_steward = f.member(shelter.organization, Role.DATA_STEWARD, email="sam@shelter.test")
    f.member(clinic.organization, Role.MEMBER, email="max@clinic.test")
    core.partnership_update(
        actor=admin,
        partnership=clinic,
        data={"commitment_signed_on": date(2024, 2, 1), "commitment_signatory": "Dr. Chen"},
        expected_version=1,
    )
    gone = core.partnership_add(
        actor=admin,
        initiative=init,
        organization=f.organization("Gone Away"),
        kind="partner",
        joined_on=date(2024, 3, 1),
    )
    core.partnership_remove(actor=admin, partnership=gone)
    with capture(execute=True):
        core.invitation_create(
            actor=admin,
            partnership=clinic,
            email="new@clinic.test",
            role=Role.MEMBER,
            accept_url_base="https://backbone.example.org/accept/",
        )
    token = INVITE_TOKEN.search(mail.outbox[-1].body).group(1)

    race = s.dimension_define(
        initiative=init, code="race", name="Race", members=[("black", "Black"), ("white", "White")]
    )
    sex = s.dimension_define(
        initiative=init, code="sex", name="Sex", members=[("female", "Female"), ("male", "Male")]
    )
    region = f.place(init, "R")
    a = f.place(init, "A", region)
    f.place(init, "A1", a, level="school")
    b = f.place(init, "B", region)
    moved = f.place(init, "C")  # its parent is created after it: ids are not in tree order
    top = f.place(init, "TOP", level="county")
    moved.parent = top
    moved.save()

    homeless = f.indicator(init, "homeless", dimensions=[race, sex], is_public=True)
    homeless.baseline_period = s.period_for("2022")
    homeless.save()
    screened = f.rate_indicator(init, "screened", is_public=True)
    secret = f.indicator(init, "wellbeing", unit=Unit.SCORE, is_public=False)
    screened = s.indicator_update(
        actor=admin,
        indicator=screened,
        changes={"definition": "Children screened by age 3 (new state test)"},
        expected_version=screened.version,
        effective_period=s.period_for("2024"),
        reason="The state changed the screening test.",
    )

    # Community-wide figures (approved at once), crossed groups included.
    for year, total in (("2022", 120), ("2023", 131)):
        _record(
            admin,
            init,
            _entry(init, homeless, region, year, value=total),
            _entry(init, homeless, region, year, members={"race": "black"}, value=total - 70),
            _entry(
                init, homeless, region, year, members={"race": "black", "sex": "female"}, value=20
            ),
        )
    # One value with several versions, then version 1 put back.
    first = Observation.objects.get(
        indicator=homeless, place=region, period__code="2023", breakdown__key=""
    )
    _record(admin, init, _entry(init, homeless, region, "2023", value=133, version=1), reason="Fix")
    _record(admin, init, _entry(init, homeless, region, "2023", value=135, version=2), reason="HUD")
    s.observation_restore(actor=admin, observation=first, version=1, expected_version=3)
    # Survey estimate with a margin, a caution and a note that needs escaping everywhere.
    entry = s.Entry(
        indicator=secret,
        place=b,
        period=s.period_for("2023"),
        breakdown=s.breakdown_for(init, {}),
        organization=None,
        figures=Figures(
            value=Decimal("41.5"),
            margin_of_error=Decimal("3.25"),
            ci_low=Decimal("38.25"),
            ci_high=Decimal("44.75"),
        ),
        quality="caution",
        note="<script>alert(1)</script> & “quotes” — ünïcode ✓",
    )
    s.observations_record(actor=admin, initiative=init, entries=[entry], reason="ACS 5-year")

    # An approved round for the clinic; the shelter's report is returned and corrected.
    rnd = s.round_open(
        actor=admin,
        initiative=init,
        name="2024 screening",
        period=s.period_for("2024"),
        due_on=date(2025, 1, 31),
        indicators=[screened],
        organizations=[clinic.organization, shelter.organization],
    )
    clinic_report = rnd.submissions.get(organization=clinic.organization)
    shelter_report = rnd.submissions.get(organization=shelter.organization)
    _record(
        steward,
        init,
        _entry(init, screened, a, "2024", clinic.organization, numerator=45, denominator=50),
        submission=clinic_report,
    )
    clinic_report = s.submission_submit(actor=steward, submission=clinic_report, expected_version=1)
    s.submission_approve(actor=admin, submission=clinic_report, expected_version=2)
    _record(
        shelter_steward,
        init,
        _entry(init, screened, b, "2024", shelter.organization, numerator=18, denominator=40),
        submission=shelter_report,
    )
    shelter_report = s.submission_submit(
        actor=shelter_steward, submission=shelter_report, expected_version=1
    )
    s.submission_return(
        actor=admin,
        submission=shelter_report,
        reason="The denominator looks like last year's.",
        expected_version=2,
    )
    _record(
        shelter_steward,
        init,
        _entry(init, screened, b, "2024", shelter.organization, numerator=18, denominator=45),
        reason="Corrected denominator",
        submission=shelter_report,
    )

    Annotation.objects.create(
        indicator=homeless,
        period=s.period_for("2021"),
        place=a,
        text="2021: sheltered people only, not comparable.",
        breaks_comparability=True,
    )
    s.target_set(
        actor=admin,
        indicator=homeless,
        period=s.period_for("2030"),
        value=Decimal(90),
        place=region,
    )
    s.target_set(
        actor=admin,
        indicator=homeless,
        period=s.period_for("2030"),
        value=Decimal(30),
        breakdown=s.breakdown_for(init, {"race": "black"}),
        note="Close the gap.",
    )
    Narrative.objects.create(
        indicator=homeless,
        place=region,
        period=s.period_for("2023"),
        story="Rents rose faster than incomes.",
        partners="Housing authority, landlords.",
        what_works="Housing First.",
        action_plan="200 landlord partnerships by 2026.",
        author=admin,
    )
    from backbone.agenda.models import Goal, Outcome

    goal = Goal.objects.create(initiative=init, title="Homelessness is rare", order=1)
    outcome = Outcome.objects.create(goal=goal, title="Fewer people lose their home", order=1)
    outcome.indicators.add(homeless)
    return {"init": init, "admin": admin, "invitation_token": token}


@pytest.fixture
def rich(db, django_capture_on_commit_callbacks):
    return build_rich(django_capture_on_commit_callbacks)


# --- What is compared ---------------------------------------------------------------------


def _email(user):
    return user.email if user else None


def _key(o):
    return (
        o.indicator.code,
        o.place.code,
        o.period.code,
        o.breakdown.key,
        o.organization.name if o.organization else None,
    )


def observations_of(init):
    rows = Observation.objects.filter(indicator__initiative=init).select_related(
        "indicator", "place", "period", "breakdown", "organization", "updated_by", "submission"
    )
    return sorted(
        (
            _key(o),
            o.value,
            o.numerator,
            o.denominator,
            o.margin_of_error,
            o.ci_low,
            o.ci_high,
            o.quality,
            o.status,
            o.note,
            o.version,
            o.updated_at,
            _email(o.updated_by),
            (o.submission.round.name, o.submission.organization.name, o.submission.status)
            if o.submission
            else None,
        )
        for o in rows
    )


def changes_of(init):
    rows = ObservationChange.objects.filter(observation__indicator__initiative=init).select_related(
        "observation__indicator",
        "observation__place",
        "observation__period",
        "observation__breakdown",
        "observation__organization",
        "actor",
    )
    return sorted(
        (_key(c.observation), c.version, _email(c.actor), c.before, c.after, c.reason, c.at)
        for c in rows
    )


def _owner(obj):
    for path in ("initiative_id", "round.initiative_id", "indicator.initiative_id"):
        target = obj
        for name in path.split("."):
            target = getattr(target, name, None)
        if target is not None:
            return target
    return None


def audit_of(init):
    out = []
    for e in AuditEvent.objects.filter(initiative=init).select_related("actor").order_by("pk"):
        model = apps.get_model(e.object_type)
        obj = model.objects.filter(pk=e.object_id).first() if e.object_id.isdigit() else None
        about = None if obj is None else (str(obj), _owner(obj) in (init.pk, None))
        out.append((e.action, e.object_type, e.summary, e.before, e.after, e.at, _email(e.actor)))
        out.append(about)
    return out


def narratives_of(init):
    return [
        (
            n.indicator.code,
            n.place.code,
            n.period.code,
            n.story,
            n.partners,
            n.what_works,
            n.action_plan,
            _email(n.author),
            n.updated_at,
            n.version,
        )
        for n in Narrative.objects.filter(indicator__initiative=init).order_by("pk")
    ]


def comparable(lines, slug):
    """Canonical lines with the initiative's short name and invitation hashes set aside (the
    only things that differ for a copy restored beside its original)."""
    out = []
    for line in lines:
        row = json.loads(line)
        if row.get("kind") == "invitation":
            row["fields"]["token_hash"] = "…"
        out.append(json.dumps(row, sort_keys=True).replace(f'"{slug}"', '"SLUG"'))
    return out


# --- Same database, under a new short name -------------------------------------------------


def test_backup_file_is_private_gzip_json_lines_with_a_header(rich, tmp_path):
    path = tmp_path / "rich.jsonl.gz"
    call_command("backup", "--initiative", "rich", str(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds password hashes
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        lines = [json.loads(line) for line in handle]
    header, end = lines[0], lines[-1]
    assert (header["format"], header["version"]) == ("backbone-backup", 1)
    assert header["initiative"] == {"slug": "rich", "name": "Riverside Together"}
    assert header["backbone_version"] and header["created_at"]
    counts = header["counts"]
    assert end == {"kind": "end", "counts": counts}
    assert counts["observation"] == Observation.objects.count() == 9
    assert counts["observation_change"] == ObservationChange.objects.count() == 17
    assert (counts["partnership"], counts["user"], counts["invitation"]) == (3, 4, 1)
    assert counts["place"] == 6 and counts["indicator_revision"] == 1
    body = lines[1:-1]
    assert sum(1 for r in body if r["kind"] == "observation") == counts["observation"]
    # Each observation is followed by its own history, oldest first.
    current = None
    for row in body:
        if row["kind"] == "observation":
            current, versions = row["id"], []
        elif row["kind"] == "observation_change":
            assert row["fields"]["observation"] == current
            versions.append(row["fields"]["version"])
            assert versions == list(range(1, len(versions) + 1))
    # Users travel with their password hash; platform-operator flags do not.
    user = next(r for r in body if r["kind"] == "user")
    assert user["fields"]["password"].startswith("md5$")
    assert "is_superuser" not in user["fields"] and "is_staff" not in user["fields"]
    assert all(
        "token" not in k
        for r in body
        if r["kind"] == "invitation"
        for k in r["fields"]
        if k != "token_hash"
    )


def framework_of(init):
    from backbone.agenda.models import Outcome

    return [
        (o.goal.title, o.goal.order, o.title, o.order, sorted(i.code for i in o.indicators.all()))
        for o in Outcome.objects.filter(goal__initiative=init).order_by("goal__order", "order")
    ]


def test_restore_beside_the_original_is_exact(rich, tmp_path):
    init = rich["init"]
    path = tmp_path / "rich.jsonl.gz"
    call_command("backup", "--initiative", "rich", str(path))
    people, organizations = (
        User.objects.count(),
        apps.get_model("core.Organization").objects.count(),
    )

    call_command("restore", str(path), "--as-slug", "rich-copy")

    copy = Initiative.objects.get(slug="rich-copy")
    assert copy.pk != init.pk and copy.name == init.name and copy.created_at == init.created_at
    # Shared rows were re-used, not duplicated.
    assert User.objects.count() == people
    assert apps.get_model("core.Organization").objects.count() == organizations
    assert observations_of(copy) == observations_of(init)
    assert len(observations_of(copy)) == 9
    statuses = {row[8] for row in observations_of(copy)}
    assert statuses == {ObservationStatus.APPROVED, ObservationStatus.DRAFT}
    assert changes_of(copy) == changes_of(init)
    versions = [row[1] for row in changes_of(copy) if row[0][:4] == ("homeless", "R", "2023", "")]
    assert versions == [1, 2, 3, 4]
    assert audit_of(copy) == audit_of(init)
    # The removed partner's entry keeps its words; its id meant nothing outside the original.
    removed = AuditEvent.objects.get(initiative=copy, action="partnership.remove")
    assert removed.object_id == "" and "Gone Away" in removed.summary
    assert narratives_of(copy) == narratives_of(init)
    assert framework_of(copy) == framework_of(init) != []
    # Everything else (targets, annotations, revisions, rounds, places…) by the canonical dump.
    again = tmp_path / "copy.jsonl.gz"
    call_command("backup", "--initiative", "rich-copy", str(again))
    assert comparable(canonical(again), "rich-copy") == comparable(canonical(path), "rich")
    # The invitation link still opens the original's invitation, not the copy's.
    assert core.invitation_lookup(rich["invitation_token"]).initiative_id == init.pk
    assert Invitation.objects.filter(initiative=copy).count() == 1


def test_restore_refuses_a_short_name_that_exists_and_saves_nothing(rich, tmp_path, capsys):
    path = tmp_path / "rich.jsonl.gz"
    call_command("backup", "--initiative", "rich", str(path))
    before = (Initiative.objects.count(), Observation.objects.count(), AuditEvent.objects.count())
    with pytest.raises(SystemExit) as exit_:
        call_command("restore", str(path))
    assert exit_.value.code == 1
    assert "“rich” already exists" in capsys.readouterr().err
    assert (
        Initiative.objects.count(),
        Observation.objects.count(),
        AuditEvent.objects.count(),
    ) == (before)


def test_a_truncated_backup_restores_nothing(rich, tmp_path, capsys):
    path = tmp_path / "rich.jsonl.gz"
    call_command("backup", "--initiative", "rich", str(path))
    raw = gzip.decompress(path.read_bytes())
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(gzip.compress(raw[: len(raw) * 3 // 4]))  # stops in the observations
    with pytest.raises(SystemExit) as exit_:
        call_command("restore", str(cut), "--as-slug", "rich-cut")
    assert exit_.value.code == 2
    assert "Nothing was restored" in capsys.readouterr().err
    assert not Initiative.objects.filter(slug="rich-cut").exists()
    assert Observation.objects.count() == 9


# --- Across database engines ---------------------------------------------------------------


def _postgres_admin_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    return urlsplit(url)._replace(path="/postgres").geturl()


@contextmanager
def temporary_postgres(tag: str):
    """A new, empty PostgreSQL database for the length of the block (dropped afterwards)."""
    import psycopg
    from psycopg import sql

    admin = _postgres_admin_url()
    try:
        conn = psycopg.connect(admin, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at {urlsplit(admin).netloc}: {exc}")
    name = f"backbone_{tag}_{os.getpid()}_{secrets.token_hex(3)}"
    with conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield urlsplit(admin)._replace(path=f"/{name}").geturl()
        finally:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@contextmanager
def temporary_sqlite(tmp_path: Path, tag: str):
    yield f"sqlite:///{tmp_path / f'{tag}.sqlite3'}"


def backbone(database_url: str, *args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backbone.settings",
        "DATABASE_URL": database_url,
        "BACKBONE_DATA_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "backbone.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"backbone {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result


def restore_and_back_up(database_url: str, source: Path, target: Path, tmp_path: Path) -> str:
    backbone(database_url, "migrate", "--no-input", "-v", "0", tmp_path=tmp_path)
    restored = backbone(database_url, "restore", str(source), tmp_path=tmp_path).stdout
    backbone(database_url, "backup", "--initiative", "rich", str(target), tmp_path=tmp_path)
    return restored


def test_round_trip_through_the_other_database_engine(rich, tmp_path):
    """This suite's database → the other engine → this engine again: three backups, one
    canonical dump. Runs on SQLite (via PostgreSQL) and on PostgreSQL (via SQLite)."""
    on_postgres = connection.vendor == "postgresql"
    other = temporary_sqlite(tmp_path, "other") if on_postgres else temporary_postgres("other")
    same = temporary_postgres("back") if on_postgres else temporary_sqlite(tmp_path, "back")
    first, second, third = (tmp_path / f"{n}.jsonl.gz" for n in ("first", "second", "third"))
    call_command("backup", "--initiative", "rich", str(first))

    with other as other_url:
        report = restore_and_back_up(other_url, first, second, tmp_path)
    with same as same_url:
        restore_and_back_up(same_url, second, third, tmp_path)

    assert "9 values with 17 changes" in report
    expected = canonical(first)
    assert len(expected) == 1 + sum(json.loads(expected[0])["counts"].values())
    assert canonical(second) == expected
    assert canonical(third) == expected
    vendors = []
    for path in (first, second, third):
        with gzip.open(path, "rt") as handle:
            vendors.append(json.loads(handle.readline())["database"])
    assert vendors[0] == vendors[2] != vendors[1]
