"""Old topics of event classes that moved to another module, so events stored under them still load.

A stored event names its class by topic (`module:QualName`). When a class moves, events written
before the move keep the old topic forever (the log is append-only and hashed into the transparency
log), so every old topic is registered with eventsourcing (`register_topic`) for the class it now
names, and readers that select events by topic ask for `stored_topics(cls)`: the current topic and
every old one.

Moves so far:
- issue 11 split `ledger/certificates.py`: `Certificate` and `CertificateIndex` (and their events)
  moved to `ledger.certificate_model`.
- issue 11 split `ledger/domainmodel.py`: `VaccinationSite` and `VaccineLot` (and their events) moved
  to `ledger.site_model`, `Receipt` to `ledger.receipt_model`.
"""

from __future__ import annotations

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic, register_topic

from ledger.certificate_model import Certificate, CertificateIndex
from ledger.receipt_model import Receipt
from ledger.site_model import VaccinationSite, VaccineLot

# old topic of an aggregate class -> the class it names now (its nested event classes follow it)
MOVED_AGGREGATES: dict[str, type[Aggregate]] = {
    "ledger.certificates:Certificate": Certificate,
    "ledger.certificates:CertificateIndex": CertificateIndex,
    "ledger.domainmodel:VaccinationSite": VaccinationSite,
    "ledger.domainmodel:VaccineLot": VaccineLot,
    "ledger.domainmodel:Receipt": Receipt,
}


def _nested_events(aggregate: type[Aggregate]) -> list[type]:
    return [
        value
        for value in vars(aggregate).values()
        if isinstance(value, type)
        and issubclass(value, Aggregate.Event)
        and value.__qualname__.startswith(aggregate.__qualname__ + ".")
    ]


def _old_topics() -> dict[str, type]:
    """Every old topic (aggregates and their events) with the class it names now."""
    found: dict[str, type] = {}
    for old, aggregate in MOVED_AGGREGATES.items():
        found[old] = aggregate
        for event_class in _nested_events(aggregate):
            found[old + event_class.__qualname__[len(aggregate.__qualname__) :]] = event_class
    return found


OLD_TOPICS: dict[str, type] = _old_topics()


def register_moved_topics() -> None:
    """Make every old topic resolve to the class it names now (idempotent; done when this module loads)."""
    for old, cls in OLD_TOPICS.items():
        register_topic(old, cls)


def stored_topics(cls: type) -> tuple[str, ...]:
    """Every topic events of `cls` may be stored under: the current one first, then the old ones."""
    return (get_topic(cls), *(old for old, moved in OLD_TOPICS.items() if moved is cls))


register_moved_topics()
