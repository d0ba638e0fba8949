"""Writing a checked metadata file to the database. Objects are matched by their code and only
what differs from the file is created or changed, so loading the same file again changes
nothing; every creation and change is audited; partners, indicator changes and targets go
through the same services as the web pages. A rule broken on the way becomes a
``MetadataProblem``, and the loader rolls everything back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backbone.core import audit
from backbone.core import services as core_services
from backbone.core.errors import DomainError
from backbone.core.models import Initiative, Organization, Partnership
from backbone.core.permissions import AnyUser
from backbone.measurement import services
from backbone.measurement.library import dimensions_in_use
from backbone.measurement.metadata.references import _entries
from backbone.measurement.metadata.report import MetadataProblem, MetadataReport
from backbone.measurement.metadata.schema import INITIATIVE_SPEC, _at
from backbone.measurement.models import (
    Annotation,
    Dimension,
    DimensionMember,
    Indicator,
    Place,
    Target,
)

INITIATIVE_FIELDS = [k for k in INITIATIVE_SPEC if k != "slug"]
INDICATOR_FIELDS = [*services.DEFINITION_FIELDS, *services.PLAIN_FIELDS]
ORGANIZATION_FIELDS = ["name", "sector", "external_code"]


class _Writer:
    """Writes a checked file, keeping counts; rules broken on the way become problems."""

    def __init__(self, actor: AnyUser, report: MetadataReport) -> None:
        self.actor, self.report = actor, report
        self.initiative: Initiative = Initiative()
        self.places: dict[str, Place] = {}
        self.indicators: dict[str, Indicator] = {}

    def add(self, path: str, message: str, fix: str) -> None:
        self.report.problems.append(MetadataProblem(path, message, fix))

    def tally(self, kind: str, created: bool, changed: bool) -> None:
        t = self.report.counts[kind]
        if created:
            t.created += 1
        elif changed:
            t.updated += 1
        else:
            t.unchanged += 1

    def audit(self, action: str, obj: Any, summary: str, **extra: Any) -> None:
        audit.record(
            actor=self.actor,
            initiative=self.initiative,
            action=action,
            obj=obj,
            summary=summary,
            **extra,
        )

    def guarded(self, path: str, write: Callable[[], Any]) -> Any:
        """Run a service; its refusal becomes a problem at ``path`` (its savepoint rolled back)."""
        try:
            with transaction.atomic():
                return write()
        except ValidationError as exc:
            for name, messages in getattr(exc, "message_dict", {"": exc.messages}).items():
                for message in messages:
                    self.add(
                        _at(path, name) if name != "__all__" and name else path,
                        message,
                        _("Correct this entry."),
                    )
        except DomainError as exc:
            self.add(path, exc.message, _("Correct this entry, or change it on its page."))
        return None

    def write(self, clean: dict) -> None:
        self.write_initiative(clean["initiative"])
        for i, e in _entries(clean, "organizations"):
            self.write_organization(_at("organizations", i), e)
        self.write_places(_entries(clean, "places"))
        for _i, e in _entries(clean, "dimensions"):
            self.write_dimension(e)
        self.indicators = {i.code: i for i in Indicator.objects.filter(initiative=self.initiative)}
        for i, e in _entries(clean, "indicators"):
            self.write_indicator(_at("indicators", i), e)
        for _i, e in _entries(clean, "annotations"):
            self.write_annotation(e)
        for _i, e in _entries(clean, "targets"):
            self.write_target(e)

    def write_initiative(self, e: dict) -> None:
        found = Initiative.objects.select_for_update().filter(slug=e["slug"]).first()
        fields = [k for k in INITIATIVE_FIELDS if k in e]
        if found is None:  # _authorise checked that the actor may create one
            self.initiative = Initiative(**{k: e[k] for k in ["slug", *fields]})
            self.initiative.full_clean()
            self.initiative.save()
            self.audit(
                "initiative.create",
                self.initiative,
                _("Created the initiative %(name)s from a metadata file")
                % {"name": self.initiative.name},
                after=audit.snapshot(self.initiative, ["slug", *fields]),
            )
            self.report.initiative = self.initiative
            self.tally("initiative", True, False)
            return
        self.initiative = self.report.initiative = found
        changed = [k for k in fields if getattr(found, k) != e[k]]
        if changed:
            before = audit.snapshot(found, changed)
            for k in changed:
                setattr(found, k, e[k])
            found.full_clean()
            found.version += 1
            found.save(update_fields=[*changed, "version"])
            self.audit(
                "initiative.update",
                found,
                _("Changed the initiative’s settings from a metadata file"),
                before=before,
                after=audit.snapshot(found, changed),
            )
        self.tally("initiative", False, bool(changed))

    def write_organization(self, path: str, e: dict) -> None:
        by_code = list(Organization.objects.filter(external_code=e["code"])[:2])
        if len(by_code) > 1:
            self.add(
                _at(path, "code"),
                _("Several organizations have the code “%(code)s”.") % {"code": e["code"]},
                _("Give each organization its own code on its page, then load again."),
            )
            return
        org = by_code[0] if by_code else Organization.objects.filter(name=e["name"]).first()
        wanted = {"name": e["name"], "sector": e["sector"], "external_code": e["code"]}
        if org is None:
            org = self.guarded(
                path,
                lambda: core_services.organization_create(
                    actor=self.actor, initiative=self.initiative, **wanted
                ),
            )
            if org is None:
                return
            self.tally("organizations", True, False)
        else:
            if org.external_code and org.external_code != e["code"]:
                self.add(
                    _at(path, "code"),
                    _("%(org)s already has the code “%(code)s”.")
                    % {"org": org.name, "code": org.external_code},
                    _("Use “%(code)s” in the file.") % {"code": org.external_code},
                )
                return
            changed = [k for k in ORGANIZATION_FIELDS if getattr(org, k) != wanted[k]]
            if "name" in changed and Organization.objects.filter(name=e["name"]).exists():
                self.add(
                    _at(path, "name"),
                    _("Another organization is already called “%(name)s”.") % {"name": e["name"]},
                    _("Use a different name, or that organization’s code."),
                )
                return
            if changed:
                before = audit.snapshot(org, changed)
                for k in changed:
                    setattr(org, k, wanted[k])
                org.full_clean(validate_unique=False)
                org.save(update_fields=changed)
                self.audit(
                    "organization.update",
                    org,
                    _("Changed the organization %(name)s from a metadata file") % {"name": org},
                    before=before,
                    after=audit.snapshot(org, changed),
                )
            self.tally("organizations", False, bool(changed))
        self.write_partnership(path, org, e)

    def write_partnership(self, path: str, org: Organization, e: dict) -> None:
        partnership = Partnership.objects.filter(
            initiative=self.initiative, organization=org
        ).first()
        if partnership is None:
            made = self.guarded(
                path,
                lambda: core_services.partnership_add(
                    actor=self.actor,
                    initiative=self.initiative,
                    organization=org,
                    kind=e["kind"],
                    joined_on=e.get("joined_on") or timezone.localdate(),
                ),
            )
            if made is not None:
                self.tally("partnerships", True, False)
            return
        partnership.initiative = self.initiative
        data = {
            k: e[k] for k in ("kind", "joined_on") if k in e and getattr(partnership, k) != e[k]
        }
        if data:
            self.guarded(
                path,
                lambda: core_services.partnership_update(
                    actor=self.actor,
                    partnership=partnership,
                    data=data,
                    expected_version=partnership.version,
                ),
            )
        self.tally("partnerships", False, bool(data))

    def write_places(self, entries: list[tuple[int, dict]]) -> None:
        self.places = {p.code: p for p in Place.objects.filter(initiative=self.initiative)}
        by_code = {e["code"]: e for _i, e in entries}
        done: set[str] = set()

        def visit(code: str) -> None:  # parents first; the check ruled out loops
            if code in done:
                return
            done.add(code)
            e = by_code[code]
            if e.get("parent") in by_code:
                visit(e["parent"])
            self.write_place(e)

        for code in by_code:
            visit(code)

    def write_place(self, e: dict) -> None:
        place = self.places.get(e["code"])
        wanted: dict[str, Any] = {"name": e["name"], "level": e["level"]}
        if "parent" in e or place is None:
            wanted["parent"] = self.places[e["parent"]] if e.get("parent") else None
        if place is None:
            place = Place.objects.create(initiative=self.initiative, code=e["code"], **wanted)
            self.places[place.code] = place
            self.audit(
                "place.create",
                place,
                _("Added the place %(name)s") % {"name": place.name},
                after={
                    **audit.snapshot(place, ["code", "name", "level"]),
                    "parent": e.get("parent"),
                },
            )
            self.tally("places", True, False)
            return
        changed = [k for k in wanted if getattr(place, k) != wanted[k]]
        if changed:
            before = audit.snapshot(place, changed)
            for k in changed:
                setattr(place, k, wanted[k])
            place.save(update_fields=changed)
            self.audit(
                "place.update",
                place,
                _("Changed the place %(name)s") % {"name": place.name},
                before=before,
                after=audit.snapshot(place, changed),
            )
        self.tally("places", False, bool(changed))

    def write_dimension(self, e: dict) -> None:
        members = [(m["code"], m["name"]) for m in e["members"] if m is not None]
        dimension = Dimension.objects.filter(initiative=self.initiative, code=e["code"]).first()
        if dimension is None:
            dimension = services.dimension_define(
                initiative=self.initiative, code=e["code"], name=e["name"], members=members
            )
            self.audit(
                "dimension.create",
                dimension,
                _("Added the dimension %(name)s") % {"name": dimension.name},
                after={"name": dimension.name, "members": [c for c, _n in members]},
            )
            self.tally("dimensions", True, False)
            return
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        if dimension.name != e["name"]:
            before["name"], after["name"] = dimension.name, e["name"]
            dimension.name = e["name"]
            dimension.save(update_fields=["name"])
        existing = {m.code: m for m in dimension.members.all()}
        for order, (code, name) in enumerate(members):
            member = existing.get(code)
            if member is None:
                DimensionMember.objects.create(
                    dimension=dimension, code=code, name=name, sort_order=order
                )
                after[code] = name
            elif (member.name, member.sort_order) != (name, order):
                before[code] = f"{member.name} ({member.sort_order})"
                after[code] = f"{name} ({order})"
                member.name, member.sort_order = name, order
                member.save(update_fields=["name", "sort_order"])
        if after:
            self.audit(
                "dimension.update",
                dimension,
                _("Changed the dimension %(name)s") % {"name": dimension.name},
                before=before,
                after=after,
            )
        self.tally("dimensions", False, bool(after))

    def wanted_indicator(self, e: dict) -> dict[str, Any]:
        wanted = {k: e[k] for k in INDICATOR_FIELDS if k in e}
        if wanted.get("baseline_period"):
            wanted["baseline_period"] = services.period_for(wanted["baseline_period"])
        return wanted

    def write_indicator(self, path: str, e: dict) -> None:
        indicator = self.indicators.get(e["code"])
        wanted = self.wanted_indicator(e)
        dimensions = None
        if "dimensions" in e:
            dimensions = list(
                Dimension.objects.filter(initiative=self.initiative, code__in=e["dimensions"])
            )
        if indicator is None:
            indicator = Indicator(
                initiative=self.initiative, code=e["code"], period_type=e["period_type"], **wanted
            )
            if not self.guarded(path, lambda: indicator.full_clean(validate_unique=False) or True):
                return
            indicator.save()
            indicator.dimensions.set(dimensions or [])
            self.indicators[indicator.code] = indicator
            self.audit(
                "indicator.create",
                indicator,
                _("Added the indicator %(name)s") % {"name": indicator.name},
                after={
                    **audit.snapshot(indicator, ["code", "period_type", *wanted]),
                    "dimensions": e.get("dimensions", []),
                },
            )
            self.tally("indicators", True, False)
            return
        indicator.initiative = self.initiative
        if e["period_type"] != indicator.period_type:
            self.add(
                _at(path, "period_type"),
                _("An indicator’s reporting period cannot change (it is “%(now)s”).")
                % {"now": indicator.period_type},
                _("Keep “%(now)s”, or add a new indicator with its own code.")
                % {"now": indicator.period_type},
            )
            return
        changes = {k: v for k, v in wanted.items() if getattr(indicator, k) != v}
        redefined = [k for k in changes if k in services.DEFINITION_FIELDS]
        revision = e.get("revision")
        if redefined and not revision:
            self.add(
                _at(path, redefined[0]),
                _("This changes what “%(code)s” measures: %(changes)s.")
                % {
                    "code": indicator.code,
                    "changes": "; ".join(
                        f"{k}: {getattr(indicator, k)} → {changes[k]}" for k in redefined
                    ),
                },
                _(
                    'Add "revision": {"effective_period": "…", "reason": "…"} — the first '
                    "period measured the new way, and why — or keep the old %(fields)s."
                )
                % {"fields": ", ".join(redefined)},
            )
            return
        if changes:
            updated = self.guarded(
                path,
                lambda: services.indicator_update(
                    actor=self.actor,
                    indicator=indicator,
                    changes=changes,
                    expected_version=indicator.version,
                    effective_period=services.period_for(revision["effective_period"])
                    if redefined
                    else None,
                    reason=revision["reason"] if redefined else "",
                ),
            )
            if updated is None:
                return
        regrouped = dimensions is not None and self.regroup(path, indicator, dimensions)
        self.tally("indicators", False, bool(changes) or regrouped)

    def regroup(self, path: str, indicator: Indicator, dimensions: list[Dimension]) -> bool:
        """Set the indicator's dimensions; refuse to drop one that values or targets use."""
        now = set(indicator.dimensions.values_list("code", flat=True))
        new = {d.code for d in dimensions}
        if now == new:
            return False
        in_use = set(
            Dimension.objects.filter(pk__in=dimensions_in_use(indicator)).values_list(
                "code", flat=True
            )
        )
        dropped = (now - new) & in_use
        if dropped:
            self.add(
                _at(path, "dimensions"),
                _("Values or targets of “%(code)s” are broken down by %(dims)s.")
                % {"code": indicator.code, "dims": ", ".join(sorted(dropped))},
                _("Keep %(dims)s in its dimensions.") % {"dims": ", ".join(sorted(dropped))},
            )
            return False
        indicator.dimensions.set(dimensions)
        self.audit(
            "indicator.dimensions",
            indicator,
            _("Changed how %(name)s is broken down") % {"name": indicator.name},
            before={"dimensions": sorted(now)},
            after={"dimensions": sorted(new)},
        )
        return True

    def write_annotation(self, e: dict) -> None:
        indicator = self.indicators.get(e["indicator"])
        if indicator is None:  # its creation was refused: already a problem
            return
        place = self.places[e["place"]] if e.get("place") else None
        period = services.period_for(e["period"])
        note = Annotation.objects.filter(
            indicator=indicator, period=period, place=place, text=e["text"]
        ).first()
        breaks = e.get("breaks_comparability")
        if note is None:
            note = Annotation.objects.create(
                indicator=indicator,
                period=period,
                place=place,
                text=e["text"],
                breaks_comparability=bool(breaks),
            )
            self.audit(
                "annotation.create",
                note,
                _("Added a note to %(indicator)s for %(period)s")
                % {"indicator": indicator, "period": period},
                after=audit.snapshot(note, ["text", "breaks_comparability"]),
            )
            self.tally("annotations", True, False)
            return
        changed = breaks is not None and note.breaks_comparability != breaks
        if changed:
            note.breaks_comparability = breaks
            note.save(update_fields=["breaks_comparability"])
            self.audit(
                "annotation.update",
                note,
                _("Changed a note on %(indicator)s for %(period)s")
                % {"indicator": indicator, "period": period},
                before={"breaks_comparability": not breaks},
                after={"breaks_comparability": breaks},
            )
        self.tally("annotations", False, changed)

    def write_target(self, e: dict) -> None:
        indicator = self.indicators.get(e["indicator"])
        if indicator is None:  # its creation was refused: already a problem
            return
        place = self.places[e["place"]] if e.get("place") else None
        period = services.period_for(e["period"])
        breakdown = services.breakdown_for(self.initiative, e.get("group") or {})
        target = Target.objects.filter(
            indicator=indicator, place=place, breakdown=breakdown, period=period
        ).first()
        note = e.get("note", target.note if target else "")
        if target is not None and target.value == e["value"] and target.note == note:
            self.tally("targets", False, False)
            return
        services.target_set(
            actor=self.actor,
            indicator=indicator,
            period=period,
            value=e["value"],
            breakdown=breakdown,
            place=place,
            note=note,
        )
        self.tally("targets", target is None, True)
