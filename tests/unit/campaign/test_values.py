"""Sessions, capacities, opening days, days and the mixing rule: bad input gets one clear sentence."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.campaign.errors import CampaignInputInvalid
from ledger.campaign.values import (
    Session,
    allowed_products,
    check_capacity,
    check_day,
    check_sessions,
    format_opening_days,
    parse_opening_days,
)
from ledger.reference import reference


@pytest.mark.parametrize(
    ("value", "words"),
    [(0, "at least 1"), (-5, "at least 1"), (2_001, "more than 2,000"), ("many", "not a whole number")],
)
def test_bad_capacities_are_refused_with_what_to_do(value: object, words: str) -> None:
    with pytest.raises(CampaignInputInvalid, match=words):
        check_capacity(value)


def test_a_session_parses_and_checks_its_times() -> None:
    assert Session.parse("morning=07:30-11:30/200") == Session("morning", "07:30", "11:30", 200)
    with pytest.raises(CampaignInputInvalid, match="not before its end"):
        Session.parse("late=12:00-11:00/10")
    with pytest.raises(CampaignInputInvalid, match="name=start-end/capacity"):
        Session.parse("morning 7-11")
    with pytest.raises(CampaignInputInvalid, match="not a time of day"):
        Session.parse("x=25:00-26:00/5")


def test_sessions_may_not_overlap_or_share_a_name() -> None:
    with pytest.raises(CampaignInputInvalid, match="overlap"):
        check_sessions([Session.parse("a=07:00-12:00/5"), Session.parse("b=11:00-13:00/5")])
    with pytest.raises(CampaignInputInvalid, match="same name"):
        check_sessions([Session.parse("a=07:00-08:00/5"), Session.parse("a=09:00-10:00/5")])


def test_opening_days() -> None:
    assert parse_opening_days("mon,wed,fri") == (0, 2, 4)
    assert format_opening_days(parse_opening_days("daily")) == "daily"
    with pytest.raises(CampaignInputInvalid, match="not a day of the week"):
        parse_opening_days("mon,funday")


def test_a_day_in_the_past_is_refused() -> None:
    with pytest.raises(CampaignInputInvalid, match="in the past"):
        check_day("2021-08-01", date(2021, 8, 2))
    with pytest.raises(CampaignInputInvalid, match="YYYY-MM-DD"):
        check_day("02/08/2021", date(2021, 8, 2))
    assert check_day("2021-08-02", date(2021, 8, 2)) == date(2021, 8, 2)


def test_mixing_prefers_the_same_product_then_the_same_platform_then_mrna_after_a_viral_vector() -> None:
    ref = reference()
    az = allowed_products("EU/1/21/1529", ref)
    assert az[0] == "EU/1/21/1529"
    assert {"EU/1/20/1528", "EU/1/20/1507"} <= set(az)  # mRNA after AstraZeneca
    pfizer = allowed_products("EU/1/20/1528", ref)
    assert pfizer == ("EU/1/20/1528", "EU/1/20/1507")
    assert "EU/1/21/1529" not in pfizer  # never viral vector after mRNA
    sinopharm = allowed_products("BBIBP-CorV", ref)
    assert sinopharm[0] == "BBIBP-CorV"
    assert "EU/1/20/1528" not in sinopharm
