"""Use cases: campaign sites (a VaccinationSite and its schedule, saved together), sessions, pausing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from ledger import checks
from ledger.campaign import permissions
from ledger.campaign.base import CampaignBase
from ledger.campaign.errors import SiteWardOtherProvince
from ledger.campaign.sites import SiteSchedule
from ledger.campaign.values import (
    DEFAULT_SESSIONS,
    EVERY_DAY,
    Session,
    SiteStatus,
    check_days,
    check_sessions,
    schedule_id,
)
from ledger.commands import Outcome
from ledger.domainmodel import VaccinationSite
from ledger.values import Actor, normalise_name


class CampaignSiteCommands(CampaignBase):
    """Add campaign sites, change their sessions and opening days, pause and reopen them."""

    def add_campaign_site(
        self,
        *,
        code: str,
        name: str,
        ward_code: str,
        address: str,
        actor: Actor,
        idempotency_key: str,
        sessions: Sequence[Session] = DEFAULT_SESSIONS,
        opening_days: Sequence[int] = EVERY_DAY,
    ) -> UUID:
        """Register a site with its sessions (capacity per session) and opening days; returns its id."""
        code = checks.text(code, "site code", 50)
        name = normalise_name(name) if isinstance(name, str) else checks.text(name, "site name")
        address = checks.text(address, "address", 300, required=False)
        ward = self.reference.ward(ward_code)
        ordered = check_sessions(sessions)
        days = check_days(opening_days)
        permissions.require_site_manager(actor, ward.province_code)
        args = {
            "code": code,
            "name": name,
            "ward": ward.code,
            "address": address,
            "sessions": [s.as_list() for s in ordered],
            "days": list(days),
            "actor": actor,
        }

        def attempt(at: datetime) -> Outcome:
            site = VaccinationSite(  # type: ignore[call-arg]
                id=self.new_id(),
                actor=actor,
                at=at,
                code=code,
                name=name,
                ward_code=ward.code,
                province_code=ward.province_code,
                capacity_per_day=sum(s.capacity for s in ordered),
            )
            schedule = SiteSchedule(  # type: ignore[call-arg]
                id=schedule_id(site.id),
                actor=actor,
                at=at,
                site_id=site.id,
                name=name,
                ward_code=ward.code,
                province_code=ward.province_code,
                address=address,
                sessions=[s.as_list() for s in ordered],
                opening_days=list(days),
            )
            return Outcome([site, schedule], {"site_id": site.id.hex})

        return UUID(self.run_command("add_campaign_site", idempotency_key, args, attempt)["site_id"])

    def set_up_sessions(
        self,
        *,
        site_id: UUID,
        address: str,
        actor: Actor,
        idempotency_key: str,
        sessions: Sequence[Session] = DEFAULT_SESSIONS,
        opening_days: Sequence[int] = EVERY_DAY,
    ) -> None:
        """Give a site registered before campaign operations its schedule (sessions, opening days)."""
        site = self.get_site(checks.as_uuid(site_id, "site"))
        address = checks.text(address, "address", 300, required=False)
        ordered = check_sessions(sessions)
        days = tuple(sorted(set(opening_days)))
        permissions.require_site_manager(actor, site.province_code, site.id)
        args = {
            "site": site.id,
            "address": address,
            "sessions": [s.as_list() for s in ordered],
            "days": list(days),
            "actor": actor,
        }

        def attempt(at: datetime) -> Outcome:
            current = self.get_site(site.id)
            schedule = SiteSchedule(  # type: ignore[call-arg]
                id=schedule_id(current.id),
                actor=actor,
                at=at,
                site_id=current.id,
                name=current.name,
                ward_code=current.ward_code,
                province_code=current.province_code,
                address=address,
                sessions=[s.as_list() for s in ordered],
                opening_days=list(days),
            )
            total = sum(s.capacity for s in ordered)
            if current.capacity_per_day != total:
                current.change_capacity(capacity_per_day=total, actor=actor, at=at)
            return Outcome([current, schedule], {})

        self.run_command("set_up_sessions", idempotency_key, args, attempt)

    def change_sessions(
        self,
        *,
        site_id: UUID,
        sessions: Sequence[Session],
        opening_days: Sequence[int],
        actor: Actor,
        idempotency_key: str,
    ) -> None:
        """Change a site's sessions and opening days (days already planned keep their sessions)."""
        site_id = checks.as_uuid(site_id, "site")
        ordered = check_sessions(sessions)
        days = tuple(sorted(set(opening_days)))
        schedule = self.schedule(site_id)
        permissions.require_site_manager(actor, schedule.province_code, site_id)
        args = {
            "site": site_id,
            "sessions": [s.as_list() for s in ordered],
            "days": list(days),
            "actor": actor,
        }

        def attempt(at: datetime) -> Outcome:
            current = self.schedule(site_id)
            current.change_sessions(sessions=ordered, opening_days=days, actor=actor, at=at)
            site = self.get_site(site_id)
            total = sum(s.capacity for s in ordered)
            if site.capacity_per_day != total:
                site.change_capacity(capacity_per_day=total, actor=actor, at=at)
            return Outcome([current, site], {})

        self.run_command("change_sessions", idempotency_key, args, attempt)

    def update_campaign_site(
        self,
        *,
        site_id: UUID,
        ward_code: str,
        address: str,
        sessions: Sequence[Session],
        opening_days: Sequence[int],
        actor: Actor,
        idempotency_key: str,
    ) -> None:
        """Edit a site in one transaction: its ward (within its province), address, sessions and opening
        days (days already planned keep their sessions)."""
        site_id = checks.as_uuid(site_id, "site")
        ward = self.reference.ward(ward_code)
        address = checks.text(address, "address", 300, required=False)
        ordered = check_sessions(sessions)
        days = check_days(opening_days)
        schedule = self.schedule(site_id)
        permissions.require_site_manager(actor, schedule.province_code, site_id)
        if ward.province_code != schedule.province_code:
            raise SiteWardOtherProvince(
                f"Ward {ward.code} is in province {ward.province_code}; the site is in province "
                f"{schedule.province_code}: choose a ward of the site's province.",
                ward=ward.code,
                ward_province=ward.province_code,
                province=schedule.province_code,
            )
        args = {
            "site": site_id,
            "ward": ward.code,
            "address": address,
            "sessions": [s.as_list() for s in ordered],
            "days": list(days),
            "actor": actor,
        }

        def attempt(at: datetime) -> Outcome:
            current = self.schedule(site_id)
            current.change_place(ward_code=ward.code, address=address, actor=actor, at=at)
            current.change_sessions(sessions=ordered, opening_days=days, actor=actor, at=at)
            site = self.get_site(site_id)
            total = sum(s.capacity for s in ordered)
            if site.capacity_per_day != total:
                site.change_capacity(capacity_per_day=total, actor=actor, at=at)
            return Outcome([current, site], {})

        self.run_command("update_campaign_site", idempotency_key, args, attempt)

    def set_site_status(
        self, *, site_id: UUID, status: str, reason: str, actor: Actor, idempotency_key: str
    ) -> None:
        """Pause a site (no new appointments) or reopen it."""
        site_id = checks.as_uuid(site_id, "site")
        wanted = checks.as_enum(SiteStatus, status, "site status")
        reason = checks.text(reason, "reason", 500, required=False)
        schedule = self.schedule(site_id)
        permissions.require_site_manager(actor, schedule.province_code, site_id)

        def attempt(at: datetime) -> Outcome:
            current = self.schedule(site_id)
            current.set_status(status=wanted, reason=reason, actor=actor, at=at)
            return Outcome([current], {})

        self.run_command(
            "set_site_status",
            idempotency_key,
            {"site": site_id, "status": wanted.value, "reason": reason, "actor": actor},
            attempt,
        )
