"""The campaign's sites for province officers: add, edit, pause or reopen a site, change its sessions'
capacity, list sites, and the stock a site can book from."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID, uuid5

from ledger.campaign.errors import SiteCodeTaken
from ledger.campaign.values import (
    EVERY_DAY,
    Session,
)
from ledger.commands import RECEIPT_NAMESPACE, check_key
from ledger.values import Actor
from projections import (
    site_queries,
    site_stock_queries,
)
from services.campaign_base import CampaignBase, as_id, derived_key

_SITE_CODES = uuid5(RECEIPT_NAMESPACE, "site-code")  # the lock of a site code is a "site" of this namespace


class SiteOperations(CampaignBase):
    """Sites and their stock."""

    def add_site(
        self,
        *,
        code: str,
        name: str,
        ward_code: str,
        address: str,
        sessions: Sequence[Session],
        opening_days: Sequence[int] = EVERY_DAY,
        actor: Actor,
        idempotency_key: str | None = None,
    ) -> site_queries.SiteRow:
        """Add a site with its sessions; returns it as listed. A code another site has is refused
        (`SiteCodeTaken`): two sites of one code cannot be told apart in the lists, the CLI and the
        SMS. The check and the write hold a lock of that code (ledger.campaign.site_locks), so two
        officers adding one code at the same moment make one site; a request sent again with its
        key gets its site back."""
        key = idempotency_key or derived_key("site", code, name, ward_code, address, sessions)
        wanted = code.strip() if isinstance(code, str) else code
        with self.ledger.site_locks.hold([uuid5(_SITE_CODES, str(wanted))]):
            self.refresh()
            if self.ledger.receipt(uuid5(RECEIPT_NAMESPACE, check_key(key))) is None:
                taken = next((s for s in site_queries.sites(self.store) if s.code == wanted), None)
                if taken is not None:
                    raise SiteCodeTaken(
                        f"The site code {wanted} is already {taken.name}'s: choose another code.",
                        code=wanted,
                        site=taken.name,
                    )
            site_id = self.ledger.add_campaign_site(
                code=code,
                name=name,
                ward_code=ward_code,
                address=address,
                sessions=sessions,
                opening_days=opening_days,
                actor=actor,
                idempotency_key=key,
            )
        self.refresh()
        found = site_queries.site(self.store, site_id)
        assert found is not None
        return found

    def update_site(
        self,
        site_id: str | UUID,
        *,
        ward_code: str,
        address: str,
        sessions: Sequence[Session],
        opening_days: Sequence[int],
        actor: Actor,
        idempotency_key: str | None = None,
    ) -> site_queries.SiteRow:
        """Edit a site (ward in its province, address, sessions with their capacity, opening days) in one
        transaction; days already planned keep their sessions. Returns the site as listed."""
        site_uuid = as_id(site_id, "site")
        self.ledger.update_campaign_site(
            site_id=site_uuid,
            ward_code=ward_code,
            address=address,
            sessions=sessions,
            opening_days=opening_days,
            actor=actor,
            idempotency_key=idempotency_key
            or derived_key(
                "site-edit", site_uuid, ward_code, address, sessions, opening_days, self.ledger.new_id()
            ),
        )
        return self.site(site_uuid)

    def set_site_status(
        self,
        site_id: str | UUID,
        status: str,
        *,
        reason: str = "",
        actor: Actor,
        idempotency_key: str | None = None,
    ) -> site_queries.SiteRow:
        """Pause a site (no new appointments) or reopen it; returns the site as listed."""
        site_uuid = as_id(site_id, "site")
        self.ledger.set_site_status(
            site_id=site_uuid,
            status=status,
            reason=reason,
            actor=actor,
            idempotency_key=idempotency_key
            or derived_key("site-status", site_uuid, status, self.ledger.new_id()),
        )
        return self.site(site_uuid)

    def sites(self, *, province: str | None = None) -> list[site_queries.SiteRow]:
        """Campaign sites (a province's, or all)."""
        if province is not None:
            self.ledger.reference.province(province)
        self.refresh()
        return site_queries.sites(self.store, province=province)

    def change_capacity(
        self, site_id: str | UUID, capacities: dict[str, int], *, actor: Actor
    ) -> site_queries.SiteRow:
        """New capacities for some of a site's sessions (times and opening days stay); days already
        planned keep theirs."""
        site_uuid = as_id(site_id, "site")
        schedule = self.ledger.schedule(site_uuid)
        sessions = [
            Session(x.name, x.start, x.end, capacities.get(x.name, x.capacity)) for x in schedule.sessions
        ]
        self.ledger.change_sessions(
            site_id=site_uuid,
            sessions=sessions,
            opening_days=schedule.opening_days,
            actor=actor,
            idempotency_key=derived_key(
                "capacity", site_uuid, [s.as_list() for s in sessions], schedule.opening_days
            ),
        )
        return self.site(site_uuid)

    def stock(
        self, *, site_id: str | UUID | None = None, day: date | None = None
    ) -> list[site_stock_queries.StockRow]:
        """Stock per site and product."""
        self.refresh()
        return site_stock_queries.stock(
            self.store,
            day or self.ledger.today(),
            today=self.ledger.today(),
            site_id=as_id(site_id, "site") if site_id else None,
        )

    def lots_at(self, site_id: str | UUID) -> list[tuple[str, str, str]]:
        """The unexpired lots a site holds today: (lot id, product, lot number)."""
        return site_stock_queries.lots_at(self.store, as_id(site_id, "site"), self.ledger.today())
