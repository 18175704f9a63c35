"""The hand-built case log of the evaluation tests (tests/test_evaluation_indicators.py holds the
figures computed from it by hand).

The log runs through the real workflow (``cases.services``) at controlled times on the 2026
working calendar (8:30–12:00, 13:30–17:30; Saturday 28 February 2026 is a make-up working day).
Category 0101: intake 1 working hour, dispatch 1, handling 4, verification 4. Period: March 2026,
evaluated on 15 April 2026 unless said otherwise. All cases lie in the west grid (street
210199001) except C6 (east street 210199002).

C1  reported Sat 28 Feb 16:00 (before the period), filed 16:10, dispatched to the grid 16:20:
    handling deadline Mon 2 Mar 11:20 (70 min on Saturday, 170 on Monday) — due in March;
    finished 10:00, closed 10:40 on time, in the grid.
C2  reworked twice: 3 Mar, last round dispatched 11:20 (deadline 16:50), finished 14:00, closed.
C3  escalated to the community 4 Mar 10:00 (deadline 15:30), finished 5 Mar 09:00 (late),
    closed at community level.
C4  dispatched to the department, returned, re-dispatched to the grid 5 Mar; closed on time.
C5  at the department, suspended Mon 30 Mar 10:00 with 3 h 20 min left, resumed Thu 2 Apr
    09:00 (deadline 2 Apr 13:50), finished 13:00: due in April, not March.
C6  (east) at the department, extended by 8 working hours (deadline 26 Mar 15:20), finished
    26 Mar 15:00: on time only thanks to the extension.
C7  closed 10 Mar, rated "not satisfied" (reopened), re-dispatched 11:10 (deadline 16:40),
    finished 11 Mar 09:00 (late), closed and rated satisfied.
C8  filed, then merged into C7.
C9  accepted, then voided.
C10 filed late (10:30 against 10:00), at the department, never handled: overdue.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from gridgov.cases.services import take_action
from gridgov.evaluation.periods import month

from .case_factories import make_category, make_team, report
from .factories import WEST_GRID

TZ = ZoneInfo("Asia/Shanghai")
EAST_POINT = (41.79, 123.435)
WEST, EAST = "210199001", "210199002"
MARCH = month(2026, 3)
NOW = datetime(2026, 4, 15, 12, 0, tzinfo=TZ)


def at(month_number, day, hour, minute=0):
    return datetime(2026, month_number, day, hour, minute, tzinfo=TZ)


def walk(case, team, *steps):
    for action, moment, who, params in steps:
        case = take_action(case.pk, action, team[who], at=moment, note=params.pop("note", "说明"), **params)
    return case


def filed(team, moment, point=None, reporter=None):
    """Reported at ``moment``, accepted and filed ten minutes later."""
    case = report(make_category(), reporter=reporter, at=moment, **({"point": point} if point else {}))
    later = moment.replace(minute=moment.minute + 10)
    return walk(case, team, ("accept", later, "intake", {}), ("file", later, "intake", {}))


def handle(case, team, who, start, finish, verify, close):
    return walk(
        case, team, ("start", start, who, {}), ("finish", finish, who, {}),
        ("verify", verify, "verifier", {}), ("pass", close, "verifier", {}),
    )  # fmt: skip


def build_log():
    team = make_team()
    team["community"].refresh_from_db()
    cases = {}
    c1 = filed(team, at(2, 28, 16))
    c1 = walk(c1, team, ("dispatch", at(2, 28, 16, 20), "dispatcher", {"region": WEST_GRID}))
    cases["C1"] = handle(c1, team, "grid_worker", at(3, 2, 9), at(3, 2, 10), at(3, 2, 10, 30), at(3, 2, 10, 40))

    c2 = filed(team, at(3, 3, 9))
    c2 = walk(
        c2, team, ("dispatch", at(3, 3, 9, 20), "dispatcher", {"region": WEST_GRID}),
        ("start", at(3, 3, 9, 30), "grid_worker", {}), ("finish", at(3, 3, 10), "grid_worker", {}),
        ("verify", at(3, 3, 10, 10), "verifier", {}), ("rework", at(3, 3, 10, 20), "verifier", {}),
        ("start", at(3, 3, 10, 30), "grid_worker", {}), ("finish", at(3, 3, 11), "grid_worker", {}),
        ("verify", at(3, 3, 11, 10), "verifier", {}), ("rework", at(3, 3, 11, 20), "verifier", {}),
    )  # fmt: skip
    assert c2.deadline == at(3, 3, 16, 50)
    cases["C2"] = handle(c2, team, "grid_worker", at(3, 3, 13, 40), at(3, 3, 14), at(3, 3, 14, 10), at(3, 3, 14, 20))

    c3 = filed(team, at(3, 4, 9))
    c3 = walk(
        c3, team, ("dispatch", at(3, 4, 9, 20), "dispatcher", {"region": WEST_GRID}),
        ("escalate", at(3, 4, 10), "grid_worker", {}),
    )  # fmt: skip
    assert c3.deadline == at(3, 4, 15, 30)
    cases["C3"] = handle(c3, team, "community", at(3, 4, 10, 30), at(3, 5, 9), at(3, 5, 9, 10), at(3, 5, 9, 20))

    c4 = filed(team, at(3, 5, 9))
    c4 = walk(
        c4, team, ("dispatch", at(3, 5, 9, 20), "dispatcher", {"department": "cgj"}),
        ("return", at(3, 5, 9, 40), "handler", {}), ("dispatch", at(3, 5, 9, 50), "dispatcher", {"region": WEST_GRID}),
    )  # fmt: skip
    cases["C4"] = handle(c4, team, "grid_worker", at(3, 5, 10), at(3, 5, 11), at(3, 5, 11, 10), at(3, 5, 11, 20))

    c5 = filed(team, at(3, 30, 9))
    cases["C5"] = walk(
        c5, team, ("dispatch", at(3, 30, 9, 20), "dispatcher", {"department": "cgj"}),
        ("start", at(3, 30, 9, 30), "handler", {}), ("suspend", at(3, 30, 10), "shift_lead", {}),
    )  # fmt: skip

    c6 = filed(team, at(3, 25, 9), point=EAST_POINT)
    c6 = walk(
        c6, team, ("dispatch", at(3, 25, 9, 20), "dispatcher", {"department": "cgj"}),
        ("start", at(3, 25, 9, 30), "handler", {}), ("request_extension", at(3, 25, 10), "handler", {"hours": "8"}),
        ("approve_extension", at(3, 25, 10, 30), "shift_lead", {}),
    )  # fmt: skip
    assert c6.deadline == at(3, 26, 15, 20)
    cases["C6"] = walk(
        c6, team, ("finish", at(3, 26, 15), "handler", {}), ("verify", at(3, 26, 15, 10), "verifier", {}),
        ("pass", at(3, 26, 15, 20), "verifier", {}),
    )  # fmt: skip

    c7 = filed(team, at(3, 10, 9), reporter=team["resident"])
    c7 = walk(c7, team, ("dispatch", at(3, 10, 9, 20), "dispatcher", {"region": WEST_GRID}))
    c7 = handle(c7, team, "grid_worker", at(3, 10, 9, 30), at(3, 10, 10), at(3, 10, 10, 10), at(3, 10, 10, 20))
    c7 = walk(c7, team, ("rate", at(3, 10, 11), "resident", {"rating": "not_satisfied"}))
    assert c7.state == "filed" and c7.reopen_count == 1
    c7 = walk(c7, team, ("dispatch", at(3, 10, 11, 10), "dispatcher", {"region": WEST_GRID}))
    assert c7.deadline == at(3, 10, 16, 40)
    c7 = handle(c7, team, "grid_worker", at(3, 10, 11, 20), at(3, 11, 9), at(3, 11, 9, 10), at(3, 11, 9, 20))
    cases["C7"] = walk(c7, team, ("rate", at(3, 11, 10), "resident", {"rating": "satisfied"}))

    c8 = filed(team, at(3, 10, 9, 30))
    cases["C8"] = walk(c8, team, ("merge", at(3, 10, 9, 45), "dispatcher", {"into": c7.number}))

    c9 = report(make_category(), at=at(3, 12, 9))
    cases["C9"] = walk(c9, team, ("accept", at(3, 12, 9, 10), "intake", {}), ("void", at(3, 12, 9, 20), "intake", {}))

    c10 = report(make_category(), at=at(3, 16, 9))
    cases["C10"] = walk(
        c10, team, ("accept", at(3, 16, 10, 20), "intake", {}), ("file", at(3, 16, 10, 30), "intake", {}),
        ("dispatch", at(3, 16, 10, 40), "dispatcher", {"department": "cgj"}),
    )  # fmt: skip
    return {"team": team, "cases": cases}
