"""Two people edit the same value at the same moment: the second gets a conflict, nothing is lost.

On PostgreSQL (CI runs the suite there too) the two writers are real threads with their own
database connections, started together; the row lock makes one wait for the other. SQLite has
one writer at a time, so there the same race is played out in order.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from backbone.core.errors import ConflictError
from backbone.core.models import Role
from backbone.measurement import services as s
from backbone.measurement.models import Observation, ObservationChange
from backbone.measurement.validation import Figures
from tests import factories as f


def _world():
    init = f.initiative("race")
    admin = f.backbone_admin(init)
    clinic = f.partnership(init, f.organization("Clinic"))
    steward = f.member(clinic.organization, Role.DATA_STEWARD)
    indicator = f.indicator(init, "visits")
    key = {
        "indicator": indicator,
        "place": f.place(init, "A"),
        "period": s.period_for("2024"),
        "breakdown": s.breakdown_for(init, {}),
        "organization": clinic.organization,
    }
    s.observation_record(actor=steward, entry=s.Entry(**key, figures=Figures(value=Decimal(10))))
    return admin, steward, key


def _edit(user, key, value):
    return s.observation_record(
        actor=user,
        entry=s.Entry(**key, figures=Figures(value=Decimal(value)), expected_version=1),
    )


@pytest.mark.django_db
def test_the_second_of_two_editors_gets_a_conflict():
    admin, steward, key = _world()
    _edit(admin, key, 11)
    with pytest.raises(ConflictError) as err:
        _edit(steward, key, 12)
    assert str(admin) in err.value.message
    assert Observation.objects.get().value == 11
    assert ObservationChange.objects.count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers")
def test_two_simultaneous_writers_on_postgresql():
    admin, steward, key = _world()
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def write(name, user, value):
        try:
            barrier.wait(timeout=10)
            outcomes[name] = _edit(user, key, value).value
        except ConflictError as exc:
            outcomes[name] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=write, args=("admin", admin, 11)),
        threading.Thread(target=write, args=("steward", steward, 12)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    conflicts = [o for o in outcomes.values() if isinstance(o, ConflictError)]
    winners = [o for o in outcomes.values() if not isinstance(o, ConflictError)]
    assert len(conflicts) == 1 and len(winners) == 1, outcomes
    stored = Observation.objects.get()
    assert stored.value == winners[0] and stored.version == 2
    # Both the original and the winner's figure are in the history; nothing was overwritten.
    values = list(ObservationChange.objects.order_by("version").values_list("after", flat=True))
    assert [v["value"] for v in values] == ["10", str(winners[0])]
