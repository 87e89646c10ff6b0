"""Who may do what in campaign operations (the ledger's own checks are in ledger.permissions).

Province officers manage sites; site staff and vaccinators work their own site's day; citizens and
guardians register, move and cancel for themselves and their dependants. A province officer's reach
is the province the actor carries (`Actor.province_code`): none without one.
"""

from __future__ import annotations

from uuid import UUID

from ledger.campaign.errors import WaitingPlaceOfAnotherSite
from ledger.errors import NotPermitted
from ledger.permissions import acts_for, require_in_province
from ledger.values import Actor, Role

MANAGERS = (Role.PROVINCE_OFFICER, Role.ADMIN, Role.SYSTEM)


def require_site_manager(actor: Actor, province_code: str, site_id: UUID | None = None) -> None:
    """Add a site, change its sessions, pause it, plan its days: a province officer or administrator
    (site staff may change their own site's sessions and plan its days)."""
    if actor.role in MANAGERS:
        require_in_province(actor, province_code)
        return
    if actor.role is Role.SITE_STAFF and site_id is not None and actor.site_id == site_id:
        return
    raise NotPermitted(
        f"Only a province officer of province {province_code} (or the site's own staff) manages this "
        "site: sign in with that role."
    )


def require_site_worker(actor: Actor, site_id: UUID, province_code: str | None = None) -> None:
    """Check people in, record no-shows, cancel a session: staff of that site, or a manager (a province
    officer of the site's province, when the caller knows it)."""
    if actor.role in MANAGERS:
        if province_code is not None:
            require_in_province(actor, province_code)
        return
    if actor.role.is_site_bound and actor.site_id == site_id:
        return
    raise NotPermitted(f"Only staff of site {site_id} (or a province officer) do this: sign in at that site.")


def require_registrant(actor: Actor, person_id: UUID, guardian_id: UUID | None) -> None:
    """Register, move or cancel for a person: themselves, a dependant they manage, or staff."""
    if not acts_for(actor, person_id, guardian_id):
        raise NotPermitted(
            "You may only register yourself or a dependant you manage: ask the person's guardian or staff."
        )


def require_appointment_actor(
    actor: Actor, person_id: UUID, guardian_id: UUID | None, site_id: UUID, province_code: str
) -> None:
    """Move or cancel a booked appointment: the person or their guardian, or staff of the appointment's
    site (or a manager of its province). Any staff member anywhere could before (the CLI's walk found it:
    an officer of another province cancelled a Hà Nội appointment)."""
    require_registrant(actor, person_id, guardian_id)
    if actor.role.is_staff:
        require_site_worker(actor, site_id, province_code)


def require_queue_actor(
    actor: Actor,
    person_id: UUID,
    guardian_id: UUID | None,
    *,
    province_code: str,
    ward_code: str,
    site_id: UUID | None,
    actor_ward: str | None,
) -> None:
    """Move or withdraw a place still waiting in a queue (no appointment yet): the person or their
    guardian; site staff only a place waiting at their own site, or in their site's ward (`actor_ward`)
    with no site chosen; a province officer only in their province. Any staff member anywhere could
    move or withdraw anyone's waiting place before (the appointments' rule did not cover the queue)."""
    require_registrant(actor, person_id, guardian_id)
    require_in_province(actor, province_code)
    if not actor.role.is_site_bound:
        return
    if site_id == actor.site_id or (site_id is None and actor_ward is not None and ward_code == actor_ward):
        return
    raise WaitingPlaceOfAnotherSite(
        "This person waits in the queue of another site or ward: ask that site or a province officer "
        "to move or withdraw the place."
    )
