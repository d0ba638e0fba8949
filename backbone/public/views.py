"""Public pages: no sign-in; a public initiative's public indicators, approved figures only,
small numbers hidden. A private initiative, a private indicator or an unknown code answers 404
to everyone, signed in or not: these pages show the public's view only."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from backbone.agenda.selectors import results_framework
from backbone.core.models import Initiative
from backbone.core.permissions import Action, can
from backbone.measurement.models import Indicator
from backbone.measurement.writers import write_csv
from backbone.public import selectors as s
from backbone.public.display import card, shown_tables, target_lines


def _initiative(slug: str) -> Initiative:
    """The initiative if the public may see it (``core.permissions``, as an anonymous visitor)."""
    initiative = get_object_or_404(Initiative, slug=slug)
    if not can(AnonymousUser(), Action.VIEW_INITIATIVE, initiative):
        raise Http404
    return initiative


def _indicator(initiative: Initiative, code: str) -> Indicator:
    for indicator in s.public_indicators(initiative):
        if indicator.code == code:
            return indicator
    raise Http404


def _csv(rows: list[dict[str, object]], filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    write_csv(rows, s.CSV_COLUMNS, response)
    return response


def _notes(table: s.PublicTable | None) -> list[tuple[str, str]]:
    """Each note with its period, unless the note starts with it already ("2021: …")."""
    if table is None:
        return []
    return [
        ("" if text.startswith(r.period.code) else r.period.code, text)
        for r in table.rows
        for text in r.annotations
    ]


def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    initiative = _initiative(slug)
    indicators = s.public_indicators(initiative)
    place = s.home_place(initiative)
    cards = {
        i.pk: card(i, s.public_table(i, place) if place is not None else None) for i in indicators
    }
    framework, unplaced = results_framework(initiative, visible_indicator_ids=list(cards))
    context = {
        "initiative": initiative,
        "place": place,
        "framework": [
            (g.goal, [(o.outcome, [cards[pk] for pk in o.indicator_ids]) for o in g.outcomes])
            for g in framework
        ],
        "unplaced": [cards[pk] for pk in unplaced],
        "has_indicators": bool(cards),
    }
    return render(request, "public/dashboard.html", context)


def data_csv(request: HttpRequest, slug: str) -> HttpResponse:
    initiative = _initiative(slug)
    place = s.home_place(initiative)
    rows: list[dict[str, object]] = []
    if place is not None:
        for indicator in s.public_indicators(initiative):
            rows += s.public_rows(s.public_table(indicator, place))
    return _csv(rows, f"{initiative.slug}-public-data.csv")


def indicator(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    initiative = _initiative(slug)
    shown = _indicator(initiative, code)
    place = s.home_place(initiative)
    table = s.public_table(shown, place) if place is not None else None
    summary = card(shown, table)
    targets = s.public_targets(shown, place) if place is not None else []
    context = {
        "initiative": initiative,
        "indicator": shown,
        "place": place,
        "card": summary,
        "tables": (
            shown_tables(table, progress=summary.progress, targets=targets) if table else []
        ),
        "notes": _notes(table),
        "targets": target_lines(shown, targets),
        "narratives": s.public_narratives(shown, place) if place is not None else [],
    }
    return render(request, "public/indicator.html", context)


def indicator_csv(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    initiative = _initiative(slug)
    shown = _indicator(initiative, code)
    place = s.home_place(initiative)
    rows = s.public_rows(s.public_table(shown, place)) if place is not None else []
    return _csv(rows, f"{initiative.slug}-{shown.code}.csv")
