"""The campaign day by day: deliveries, registrations by priority, planning, attendance, doses, reactions.

Every write goes through the same calls the web and the CLI use: `CampaignService` (sites, registrations,
planning, the daily job, check-in, doses from appointments), `services.citizen` (reaction reports) and
the ledger's batch registration (`register_people`, what the import path uses). Time is the simulated
day (the ledger's clock is set to it) and every random choice and aggregate id comes from the seed, so
the same seed gives the same ledger, hence the same view digests.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from keys.errors import KeysError
from ledger.application import Ledger
from ledger.campaign.errors import NoStock
from ledger.campaign.registration_commands import RegistrationEntry
from ledger.campaign.values import Session
from ledger.errors import InvalidInput, LedgerError
from ledger.records import PersonRequest
from ledger.values import Actor, Role
from projections import message_queries, queue_queries, site_stock_queries
from projections.certificate_index import CertificateIndex
from projections.registry import catch_up_views, digests
from projections.statistics import Statistics as StatisticsView
from projections.store import ViewStore
from services import certificates
from services.backend import Backend
from services.campaign import CampaignService
from services.citizen import report_reaction
from services.people import ReactionForm
from services.simulation.phones import SimulatedPhones
from services.simulation.population import Household, PopulationMaker, Resident
from services.stock import StockService

# Viet Nam's campaign began on 8 March 2021 (first doses to health workers).
CAMPAIGN_START = date(2021, 3, 8)
MAX_DAYS = 730
BATCH = 2_000
REGISTER_BATCH = 1_000


def officer(province: str) -> Actor:
    """The province's officer: province officers act only in their own province (issue 13)."""
    return Actor(f"simulated-officer-{province}", Role.PROVINCE_OFFICER, province_code=province)


SYSTEM = Actor("simulated-registration", Role.SYSTEM)

# Deliveries in the real order of arrival (AstraZeneca via COVAX first, then Sinopharm, Moderna, Pfizer),
# as national doses per week from a day of the campaign on. Approximations, compressed so that a 120-day
# run sees all four products; the real 2021 arrivals were slower at first (about 4 million doses by July).
DELIVERIES: list[tuple[int, str, int]] = [
    (0, "EU/1/21/1529", 150_000),  # AstraZeneca
    (42, "EU/1/21/1529", 400_000),
    (49, "BBIBP-CorV", 300_000),  # Sinopharm
    (77, "EU/1/20/1507", 400_000),  # Moderna
    (91, "EU/1/20/1528", 600_000),  # Pfizer-BioNTech
    (150, "EU/1/20/1528", 2_000_000),
    (150, "BBIBP-CorV", 1_500_000),
    (180, "EU/1/21/1529", 1_500_000),
]
SHELF_LIFE = timedelta(days=180)
# When each priority rank may register (day of the campaign): health workers first, the elderly from
# about the third month, everyone else last (MoH Decision 3355/QĐ-BYT order).
OPENS: dict[int, int] = {1: 0, 2: 14, 3: 14, 4: 14, 5: 35, 6: 35, 7: 35, 8: 35, 9: 56}
OPENS_LATER = 84  # ranks 10-15
OPENS_LAST = 112  # rank 16, OTHER
REGISTER_PER_DAY = 0.05  # share of the eligible, not yet registered, who register on a given day
NO_SHOW = 0.08
# Reactions per dose reported through the health book: mild common, serious about 1 in 10,000.
REACTIONS = [("mild", 0.06), ("moderate", 0.004), ("serious", 0.0001)]
SYMPTOMS = {"mild": "đau tại chỗ tiêm, sốt nhẹ", "moderate": "sốt 39°C, đau cơ", "serious": "phản vệ độ II"}
PEOPLE_PER_SITE = 600
# Who asks for their certificate on the evening of a dose (the citizen's page or the health book app):
# most people finishing the primary series, a few after a first dose.
# Share of people who answer the day-1 check-in text (the rest ignore it; a reaction is then reported in
# the health book instead).
REPLIES_TO_CHECKIN = 0.4
ASKS_CERTIFICATE = {"series_complete": 0.5, "otherwise": 0.1}
# Doses travel in boxes: the nation's weekly doses of a product are boxed and each box goes to the
# province owed the most per resident. Shipping each province its own fraction every week meant, at the
# demo's scale (about 30 people a province), some 600 shipments of one dose each and a site-day for each.
BOX = 5


@dataclass
class Tally:
    """What the simulation did, counted as it went (checked against the projections in the tests)."""

    seed: int
    scale: float
    days: int
    start: date
    people: int = 0
    dependants: int = 0
    households: int = 0
    sites: int = 0
    lots: int = 0
    delivered: Counter[str] = field(default_factory=Counter)
    registrations: int = 0
    appointments: int = 0
    no_shows: int = 0
    doses_by_number: Counter[int] = field(default_factory=Counter)
    doses_by_product: Counter[str] = field(default_factory=Counter)
    reactions: Counter[str] = field(default_factory=Counter)
    follow_ups: int = 0
    certificates: int = 0
    notes: list[str] = field(default_factory=list)  # what the run could not do, one sentence each
    messages: Counter[str] = field(default_factory=Counter)  # queued in the outbox, by kind
    messages_sent: int = 0  # delivered through the sender to the simulated phones
    replies: Counter[str] = field(default_factory=Counter)  # SMS replies by what they became
    turned_away: Counter[str] = field(default_factory=Counter)  # refused at the desk, by the error's code
    population: Counter[str] = field(default_factory=Counter)  # simulated people per province
    vaccinated: Counter[str] = field(default_factory=Counter)  # people with a first dose, per province
    events: int = 0
    seconds: float = 0.0
    digest: str = ""
    view_digests: dict[str, str] = field(default_factory=dict)

    @property
    def doses(self) -> int:
        return sum(self.doses_by_number.values())

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def coverage(self) -> dict[str, float]:
        """% of each province's simulated population with at least one dose (one decimal)."""
        return {
            code: round(100 * self.vaccinated[code] / n, 1)
            for code, n in sorted(self.population.items())
            if n
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "scale": self.scale,
            "days": self.days,
            "start": self.start.isoformat(),
            "people": self.people,
            "dependants": self.dependants,
            "households": self.households,
            "sites": self.sites,
            "lots": self.lots,
            "delivered_by_product": dict(sorted(self.delivered.items())),
            "registrations": self.registrations,
            "appointments": self.appointments,
            "no_shows": self.no_shows,
            "doses": self.doses,
            "doses_by_number": {str(k): v for k, v in sorted(self.doses_by_number.items())},
            "doses_by_product": dict(sorted(self.doses_by_product.items())),
            "people_vaccinated": sum(self.vaccinated.values()),
            "reactions": {s: self.reactions[s] for s, _ in REACTIONS},
            "serious_followed_up": self.follow_ups,
            "certificates": self.certificates,
            "notes": self.notes,
            "messages_by_kind": dict(sorted(self.messages.items())),
            "messages_sent": self.messages_sent,
            "replies": dict(sorted(self.replies.items())),
            "turned_away": dict(sorted(self.turned_away.items())),
            "coverage_pct": self.coverage(),
            "events": self.events,
            "seconds": round(self.seconds, 2),
            "events_per_second": round(self.events_per_second, 1),
            "digest": self.digest,
        }


def check_arguments(
    scale: float,
    days: int,
    start: date | str | None = CAMPAIGN_START,
    end: date | str | None = None,
    *,
    today: date | None = None,
) -> date:
    """The start day, or InvalidInput with one sentence for a bad argument.

    With `end` (a day, or "today": `today`, Viet Nam's date, a parameter so that tests fix it) the
    campaign ends there: it starts `days` days before, its last simulated day is the eve of `end`, whose
    evening plans `end`, so `end`'s appointments are booked and left to the staff."""
    if not 0 < scale <= 1:
        raise InvalidInput(
            f"The scale {scale} is out of range: use a number above 0 and at most 1 (e.g. 0.0001)."
        )
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"The number of days {days} is out of range: use 1 to {MAX_DAYS}.")
    if end is not None:
        if start is not None:
            raise InvalidInput(
                "Give the start day or the end day, not both: with an end day the campaign starts the "
                "number of days before it."
            )
        last = _end_day(end, today)
        return last - timedelta(days=days)
    if start is None:
        return CAMPAIGN_START
    if isinstance(start, date):
        return start
    try:
        return date.fromisoformat(str(start).strip())
    except ValueError:
        raise InvalidInput(
            f"The start day {start!r} is not a date: use YYYY-MM-DD, e.g. 2021-03-08."
        ) from None


def _end_day(end: date | str, today: date | None) -> date:
    """`end` as a day: "today" is `today` (required then); a day after `today` is refused (the campaign
    would write events dated after the clock)."""
    if isinstance(end, date):
        day = end
    elif str(end).strip().lower() == "today":
        if today is None:
            raise InvalidInput("The end day 'today' needs today's date: pass it (a parameter).")
        day = today
    else:
        try:
            day = date.fromisoformat(str(end).strip())
        except ValueError:
            raise InvalidInput(
                f"The end day {end!r} is not a date: use today or YYYY-MM-DD, e.g. 2021-09-03."
            ) from None
    if today is not None and day > today:
        raise InvalidInput(
            f"The end day {day.isoformat()} is after today ({today.isoformat()}): a simulated campaign cannot "
            "run ahead of the clock; use today or an earlier day."
        )
    return day


@contextmanager
def simulated_time(ledger: Ledger, seed: int) -> Iterator[Callable[[datetime], None]]:
    """The ledger's clock and id source become parameters while simulating (restored afterwards)."""
    previous_clock, previous_ids = ledger.clock, ledger.new_id
    ids = random.Random(f"ids:{seed}")
    now = [datetime(2021, 1, 1, tzinfo=UTC)]
    ledger.clock = lambda: now[0]
    ledger.new_id = lambda: UUID(int=ids.getrandbits(128), version=4)

    def set_now(moment: datetime) -> None:
        now[0] = moment

    try:
        yield set_now
    finally:
        ledger.clock, ledger.new_id = previous_clock, previous_ids


def ledger_digest(store: ViewStore) -> tuple[str, dict[str, str]]:
    """One SHA-256 over every view's digest: what an auditor's replay of the log must reproduce."""
    per_view = digests(store)
    text = "".join(f"{name} {value}\n" for name, value in sorted(per_view.items()))
    return hashlib.sha256(text.encode()).hexdigest(), per_view


@dataclass
class _Person:
    person_id: UUID
    resident: Resident
    site_id: UUID
    phone: str | None  # the household's phone (a dependant's check-ins go to the head's)
    registered: bool = False
    vaccinated: bool = False
    opens: int = 0  # the campaign's day when the person's priority group may register
    adult_on: date = date.min  # the 18th birthday


def _adult_on(born: date) -> date:
    try:
        return born.replace(year=born.year + 18)
    except ValueError:  # born on 29 February: of age on 1 March of a common year
        return date(born.year + 18, 3, 1)


def simulate(
    ledger: Ledger,
    store: ViewStore,
    *,
    scale: float,
    days: int,
    seed: int,
    start: date | str = CAMPAIGN_START,
    progress: Callable[[int, int], None] | None = None,
    certificates: Backend | None = None,
) -> Tally:
    """Run the campaign; `progress(day, events so far)` is called after each simulated day. With
    `certificates` (the web's backend: its key directory signs), people ask for their certificate after
    a dose through the certificate service, as the citizen's page does."""
    first_day = check_arguments(scale, days, start)
    began = time.perf_counter()
    before = ledger.recorder.max_notification_id() or 0
    # Simulated data: commits do not wait for the disk (SQLite), and are on disk when the run ends.
    with ledger.unsynced_commits(), simulated_time(ledger, seed) as set_now:
        run = _Run(ledger, store, random.Random(seed), Tally(seed, scale, days, first_day), set_now)
        run.backend = certificates
        run.setup()
        for offset in range(days):
            run.day(offset)
            if progress is not None:
                progress(offset + 1, (ledger.recorder.max_notification_id() or 0) - before)
    tally = run.tally
    tally.events = (ledger.recorder.max_notification_id() or 0) - before
    tally.seconds = time.perf_counter() - began
    catch_up_views(ledger, store)
    tally.messages.update(row.kind for row in message_queries.messages(store, limit=10_000_000))
    tally.digest, tally.view_digests = ledger_digest(store)
    return tally


def statistics_totals(store: ViewStore) -> dict[str, Any]:
    """The statistics projection's own counts, in the tally's terms: read from its view before the
    public page suppresses small cells (the public total is checked separately)."""
    view = StatisticsView.recorder(store)

    def rows(columns: str, table: str) -> list[tuple[Any, ...]]:
        sql = f"SELECT {columns} FROM {view.t(table)}"  # noqa: S608 - fixed names of the view's own tables
        with store.transaction(write=False) as cursor:
            return [tuple(r) for r in cursor.stream(sql)]

    by_product = {p: int(n) for p, n in rows("product, n", "by_product") if int(n)}
    by_severity = {s: int(n) for s, n in rows("severity, n", "reactions")}
    by_number: Counter[str] = Counter()
    first: Counter[str] = Counter()
    for province, number, _adult, n in rows("province, dose_number, adult, n", "by_province"):
        by_number[str(number)] += int(n)
        if str(number) == "1":
            first[province] += int(n)
    return {
        "doses": sum(by_product.values()),
        "doses_by_number": {k: v for k, v in sorted(by_number.items()) if v},
        "doses_by_product": dict(sorted(by_product.items())),
        "reactions": {s: by_severity.get(s, 0) for s, _ in REACTIONS},
        "people_vaccinated_by_province": {k: v for k, v in sorted(first.items()) if v},
    }


def certificates_in_index(store: ViewStore) -> int:
    """How many certificates the `certificate_index` projection holds (current, superseded or revoked)."""
    view = CertificateIndex.recorder(store)
    sql = f"SELECT count(*) FROM {view.t('certificates')}"  # noqa: S608 - the view's own table name
    with store.transaction(write=False) as cursor:
        return int(next(iter(cursor.stream(sql)))[0])


def tally_totals(tally: Tally) -> dict[str, Any]:
    """The tally in the same terms as `statistics_totals`."""
    data = tally.as_json()
    return {
        "doses": data["doses"],
        "doses_by_number": data["doses_by_number"],
        "doses_by_product": data["doses_by_product"],
        "reactions": data["reactions"],
        "people_vaccinated_by_province": {k: v for k, v in sorted(tally.vaccinated.items()) if v},
    }


class _Run:
    """The simulation's state between days."""

    def __init__(
        self,
        ledger: Ledger,
        store: ViewStore,
        rng: random.Random,
        tally: Tally,
        set_now: Callable[[datetime], None],
    ) -> None:
        self.ledger = ledger
        self.service = CampaignService(ledger, store)
        self.rng = rng
        self.tally = tally
        self.set_now = set_now
        self.start = tally.start
        self.people: list[_Person] = []
        self.sites: dict[str, list[tuple[UUID, str]]] = {}  # province -> (site id, ward)
        self.site_province: dict[UUID, str] = {}
        self.lots: dict[tuple[UUID, str], list[list[Any]]] = defaultdict(list)  # [lot id, left, expiry]
        self.owed: dict[tuple[str, str], float] = defaultdict(float)  # (province, product)
        self.unboxed: dict[str, float] = defaultdict(float)  # doses of a product not yet a whole box
        self.waiting: Counter[UUID] = Counter()  # registered for a first dose, not yet given, per site
        self.by_id: dict[UUID, _Person] = {}
        self.planned: set[tuple[UUID, date]] = set()  # (site, day) with appointments
        self.products = sorted({product for _, product, _ in DELIVERIES})
        self.backend: Backend | None = None
        self.uci_source = random.Random(f"uci:{tally.seed}")  # UCIs from the seed: the same index
        self.asking: list[tuple[UUID, date]] = []  # people asking for their certificate this evening
        self.issued: set[str] = set()  # UCIs handed out
        self.phones = SimulatedPhones()
        self.replies: dict[date, list[tuple[str, str]]] = {}  # day -> (phone, text) replies to send
        ranks = {g.code: g.rank for g in ledger.reference.priority_groups.values()}
        self.rank = ranks

    def key(self, *parts: object) -> str:
        return ":".join(["simulate", str(self.tally.seed), *map(str, parts)])

    def at(self, day: date, hour: int) -> None:
        """Set the clock to `hour` o'clock in Viet Nam (UTC+7) on `day`."""
        self.set_now(datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour - 7))

    # ---- day 0: population and sites ------------------------------------------------------------

    def setup(self) -> None:
        """Every province's sites first (each added site is read back from the views, cheap while the
        log is short), then its households, registered in batches."""
        self.at(self.start - timedelta(days=1), 9)
        maker = PopulationMaker(self.ledger.reference, self.rng, self.start)
        homes: dict[str, tuple[int, list[Any]]] = {}
        for province, count in maker.counts(self.tally.scale).items():
            wards = maker.wards[province]
            n_sites = max(1, round(count / PEOPLE_PER_SITE))
            site_wards = self.rng.sample(wards, min(len(wards), n_sites))
            # People live in the sites' wards and a few around them (a site serves its neighbourhood).
            homes[province] = (count, site_wards + self.rng.sample(wards, min(len(wards), n_sites)))
            for n, ward in enumerate(site_wards):
                self.add_site(province, n, ward.code, ward.full_name)
        for province, (count, home_wards) in homes.items():
            self.register(province, maker.households(province, count, home_wards))
            self.tally.population[province] += count

    def add_site(self, province: str, n: int, ward: str, ward_name: str) -> None:
        morning = self.rng.choice([10, 15, 20, 25])
        row = self.service.add_site(
            code=f"SIM-{province}-{n + 1:03d}",
            name=f"Trạm Y tế {ward_name}",
            ward_code=ward,
            address=f"Số {self.rng.randint(1, 200)} đường Lê Lợi, {ward_name}",
            sessions=[
                Session("morning", "07:30", "11:30", morning),
                Session("afternoon", "13:30", "16:30", max(5, morning - 5)),
            ],
            actor=officer(province),
            idempotency_key=self.key("site", province, n),
        )
        site_id = UUID(str(row.site_id))
        self.sites.setdefault(province, []).append((site_id, ward))
        self.site_province[site_id] = province
        self.tally.sites += 1

    def site_for(self, resident: Resident) -> UUID:
        local = self.sites[resident.province]
        for site_id, ward in local:
            if ward == resident.ward:
                return site_id
        return local[self.rng.randrange(len(local))][0]

    def register(self, province: str, households: list[Household]) -> None:
        """Heads first (each with the family's phone), then their dependants, in batches."""
        heads = [h.head for h in households]
        head_ids: list[UUID] = []
        for first in range(0, len(heads), BATCH):
            chunk = households[first : first + BATCH]
            requests = [self.request(h.head, h.phone) for h in chunk]
            head_ids += self.ledger.register_people(
                requests, actor=SYSTEM, idempotency_key=self.key("heads", province, first)
            )
        dependants: list[tuple[Resident, PersonRequest]] = []
        for household, head_id in zip(households, head_ids, strict=True):
            for resident, relationship in household.others:
                dependants.append((resident, self.request(resident, None, head_id, relationship)))
        dependant_ids: list[UUID] = []
        for first in range(0, len(dependants), BATCH):
            dependant_ids += self.ledger.register_people(
                [r for _, r in dependants[first : first + BATCH]],
                actor=SYSTEM,
                idempotency_key=self.key("dependants", province, first),
            )
        residents = heads + [r for r, _ in dependants]
        phones = [h.phone for h in households] + [
            household.phone for household in households for _ in household.others
        ]
        for person_id, resident, phone in zip(head_ids + dependant_ids, residents, phones, strict=True):
            rank = self.rank.get(resident.group, 16)
            opens = OPENS.get(rank, OPENS_LAST if rank >= 16 else OPENS_LATER)
            person = _Person(
                person_id,
                resident,
                self.site_for(resident),
                phone,
                opens=opens,
                adult_on=_adult_on(resident.born),
            )
            self.people.append(person)
            self.by_id[person_id] = person
        self.tally.households += len(households)
        self.tally.people += len(residents)
        self.tally.dependants += len(dependants)

    @staticmethod
    def request(
        r: Resident, phone: str | None, guardian: UUID | None = None, relationship: str | None = None
    ) -> PersonRequest:
        return PersonRequest(
            r.national_id,
            r.full_name,
            r.born.isoformat(),
            r.sex,
            phone,
            r.ward,
            r.group,
            guardian,
            relationship,
        )

    # ---- each day --------------------------------------------------------------------------------

    def day(self, offset: int) -> None:
        today = self.start + timedelta(days=offset)
        self.at(today, 6)
        # The daily job: yesterday's no-shows released and re-queued, next doses registered when due,
        # reminders for tomorrow, day-1 and day-7 check-ins.
        tasks = self.service.run_day(today)
        self.tally.no_shows += tasks.no_shows
        self.tally.registrations += tasks.next_doses_registered
        # Weekly, counted back from the last day (day 0, 7, ... for 120 days): the last day's delivery is
        # what its evening plans for the days after the run, so a campaign ending today has vaccine today.
        if (self.tally.days - 1 - offset) % 7 == 0:
            self.deliver(today, offset)
        self.registrations(today, offset)
        self.at(today, 7)
        self.text_and_reply(today)
        self.attend(today)
        self.at(today, 17)
        self.plan(today + timedelta(days=1))
        self.at(today, 20)
        self.certify()

    def deliver(self, today: date, offset: int) -> None:
        """This week's doses, shared among provinces by population, shipped in whole boxes of BOX doses:
        the nation's boxes of a product go one by one to the province owed the most doses (of every
        product) per resident, ties by code, so over the weeks each province gets its share and none is
        left out; a province's store ships its boxes to its site with the longest queue. What a province
        is owed, or got ahead, carries over to the next week."""
        weekly: Counter[str] = Counter()
        for since, product, doses in DELIVERIES:
            if offset >= since:
                weekly[product] = doses  # a later line for the same product replaces the rate
        total_population = sum(self.tally.population.values())
        provinces = sorted(self.sites)
        for product, doses in sorted(weekly.items()):
            scaled = doses * self.tally.scale
            for province in provinces:
                self.owed[(province, product)] += scaled * self.tally.population[province] / total_population
            self.unboxed[product] += scaled
            boxes = int(self.unboxed[product] // BOX)
            self.unboxed[product] -= boxes * BOX
            shipped: Counter[str] = Counter()
            for _ in range(boxes):
                province = max(provinces, key=lambda p: (self.owed_per_person(p), -provinces.index(p)))
                self.owed[(province, product)] -= BOX
                shipped[province] += BOX
            for province, whole in sorted(shipped.items()):
                self.ship(province, product, whole, today, offset)

    def owed_per_person(self, province: str) -> float:
        """Doses of every product the province is owed (negative: got ahead), per simulated resident."""
        owed = sum(self.owed[(province, product)] for product in self.products)
        return owed / max(1, self.tally.population[province])

    def ship(self, province: str, product: str, whole: int, today: date, offset: int) -> None:
        """Through the province store (issue 13): received there, then allocated to the site with the
        longest queue, so the stock view and the operations view show allocation against use."""
        sites = self.sites[province]
        site_id = max(sites, key=lambda s: self.waiting[s[0]])[0]
        n = len(self.lots[(site_id, product)])
        expiry = today + SHELF_LIFE
        lot_id = StockService(self.ledger, self.service.store).deliver(
            province_code=province,
            product=product,
            lot_number=f"{product.split('/')[-1][:4].upper()}-{offset:03d}{n:02d}",
            expiry=expiry,
            doses_per_vial=1,  # single-dose counting: the simulator keeps its own per-lot tally
            allocations={site_id: whole},
            actor=officer(province),
            key=self.key("lot", site_id, product, offset),
        )[site_id]
        self.lots[(site_id, product)].append([lot_id, whole, expiry])
        self.tally.lots += 1
        self.tally.delivered[product] += whole

    def registrations(self, today: date, offset: int) -> None:
        """Adults of the groups open today register for a first dose at their site, some each day (in
        batches: one transaction per thousand, through the service's batch registration)."""
        entries: list[tuple[_Person, RegistrationEntry]] = []
        for person in self.people:
            if person.registered or offset < person.opens or today < person.adult_on:
                continue
            if self.rng.random() >= REGISTER_PER_DAY:
                continue
            resident = person.resident
            language = "en" if self.rng.random() < 0.03 else "vi"
            entries.append(
                (person, RegistrationEntry(person.person_id, resident.group, person.site_id, None, language))
            )
        for first in range(0, len(entries), REGISTER_BATCH):
            chunk = entries[first : first + REGISTER_BATCH]
            made = self.service.register_many(
                [entry for _, entry in chunk],
                actor=SYSTEM,
                idempotency_key=self.key("registrations", offset, first),
            )
            registered = {m.person_id for m in made}  # one already registered stays out of the queue
            for person, _ in chunk:
                if person.person_id in registered:
                    person.registered = True
                    self.waiting[person.site_id] += 1
                    self.tally.registrations += 1

    def plan(self, day: date) -> None:
        """Tomorrow's sessions at every site holding vaccine, as one batch (a site without any is not
        planned: the planner would refuse it with NoStock, and its queue waits for the next delivery)."""
        with self.service.caught_up_once():
            for province in sorted(self.sites):
                for site_id, ward in self.sites[province]:
                    if not any(
                        lot[1] > 0 and lot[2] >= day for p in self.products for lot in self.lots[(site_id, p)]
                    ):
                        continue
                    if not self.worth_planning(site_id, ward, day):
                        continue
                    try:
                        planned = self.service.plan_day(site_id, day, actor=officer(province))
                    except NoStock:
                        continue
                    self.tally.appointments += planned.booked_now
                    if planned.booked_now or any(s["appointments"] for s in planned.sessions):
                        self.planned.add((site_id, day))

    def worth_planning(self, site_id: UUID, ward: str, day: date) -> bool:
        """An officer plans a site's day when it has vaccine not yet booked and people waiting (the
        planner would book nobody otherwise, and an empty day would be opened and closed for nothing)."""
        store = self.service.store
        if not any(
            row.free > 0
            for row in site_stock_queries.stock(
                store, day, today=self.service.ledger.today(), site_id=site_id
            )
        ):
            return False
        return bool(queue_queries.candidates(store, str(site_id), ward, day))

    def lot_for(self, site_id: UUID, product: str, today: date) -> UUID | None:
        """First expiring first out, among the site's lots with doses left."""
        for lot in sorted(self.lots[(site_id, product)], key=lambda x: x[2]):
            if lot[1] > 0 and lot[2] >= today:
                lot[1] -= 1
                return UUID(str(lot[0]))
        return None

    def attend(self, today: date) -> None:
        """Each planned site's day: who came (8% do not), each given a dose of the site's first expiring
        lot; the session's list is entered at once (`record_session_doses`, one transaction per site-day)."""
        with self.service.caught_up_once():
            self.attend_sites(today)

    def attend_sites(self, today: date) -> None:
        for province in sorted(self.sites):
            for site_id, _ in self.sites[province]:
                if (site_id, today) not in self.planned:
                    continue
                plan = self.service.day(site_id, today)
                if plan is None:
                    continue
                vaccinator = Actor(f"simulated-vaccinator-{province}", Role.VACCINATOR, site_id)
                came: list[tuple[Any, UUID]] = []
                for session in plan.sessions:
                    for a in session.appointments:
                        if a.status != "booked" or self.rng.random() < NO_SHOW:
                            continue  # a no-show: released and re-queued when the day is closed
                        lot_id = self.lot_for(site_id, a.product, today)
                        if lot_id is not None:
                            came.append((a, lot_id))
                if not came:
                    continue
                try:
                    dose_ids = self.service.record_session_doses(
                        site_id, today, [(a.appointment_id, lot_id) for a, lot_id in came], actor=vaccinator
                    )
                except LedgerError:  # the list is all or nothing: the desk enters each person then
                    self.one_by_one(site_id, came, today, vaccinator)
                    continue
                for (a, _), dose_id in zip(came, dose_ids, strict=True):
                    self.vaccinated_at(a, dose_id, today, vaccinator)

    def one_by_one(self, site_id: UUID, came: list[tuple[Any, UUID]], today: date, vaccinator: Actor) -> None:
        """A list the ledger refused as a whole, entered person by person (the single-item calls): who is
        refused (e.g. a mixed schedule's stricter interval not yet passed) is turned away, counted by
        reason, and their dose goes back to the lot."""
        for a, lot_id in came:
            try:
                self.service.check_in(a.appointment_id, actor=vaccinator)
                dose_id = self.service.record_dose(a.appointment_id, lot_id=lot_id, actor=vaccinator)
            except LedgerError as exc:
                self.tally.turned_away[getattr(exc, "code", type(exc).__name__)] += 1
                for lot in self.lots[(site_id, a.product)]:
                    if lot[0] == lot_id:
                        lot[1] += 1
                continue
            self.vaccinated_at(a, dose_id, today, vaccinator)

    def vaccinated_at(self, a: Any, dose_id: UUID, today: date, vaccinator: Actor) -> None:
        """Count a dose given; a reaction follows at the realistic rates."""
        self.tally.doses_by_number[a.dose_number] += 1
        self.tally.doses_by_product[a.product] += 1
        person = self.by_id[UUID(a.person_id)]
        if a.dose_number == 1 and not person.vaccinated:
            person.vaccinated = True
            self.waiting[person.site_id] -= 1
            self.tally.vaccinated[person.resident.province] += 1
        vaccine = self.ledger.reference.vaccines.get(a.product)
        complete = vaccine is not None and a.dose_number >= vaccine.doses_in_primary_series
        share = ASKS_CERTIFICATE["series_complete" if complete else "otherwise"]
        if self.rng.random() < share:
            self.asking.append((person.person_id, today))
        roll = self.rng.random()
        severity = None
        for level, rate in REACTIONS:
            if roll < rate:
                severity = level
                break
            roll -= rate
        tomorrow = today + timedelta(days=1)
        answers = self.rng.random() < REPLIES_TO_CHECKIN and person.phone is not None
        if severity == "mild" and answers and person.phone is not None:
            self.replies.setdefault(tomorrow, []).append((person.phone, f"2 {SYMPTOMS['mild']}"))
        elif severity is not None:  # reported in the health book (a serious one by the site's staff)
            self.react(person, dose_id, today, severity, vaccinator)
        elif answers and person.phone is not None:
            self.replies.setdefault(tomorrow, []).append((person.phone, "1"))

    def certify(self) -> None:
        """This evening's certificate requests, through the certificate service as the citizen's page
        asks (a POST: issued when none is current; its files are drawn later by the renderer)."""
        asking, self.asking = self.asking, []
        if self.backend is None:
            return
        for person_id, _day in asking:
            try:
                issued = certificates.current(
                    self.backend,
                    person_id,
                    now=self.ledger.now(),
                    issue=True,
                    random_bytes=self.uci_source.randbytes,
                )
            except KeysError as exc:  # keys made after the campaign's dates cannot sign in 2021
                self.tally.notes.append(
                    f"No certificates were issued: the key directory cannot sign on "
                    f"{self.ledger.today().isoformat()} ({exc}); `immunize run` creates development keys "
                    "dated from the campaign's start on first start."
                )
                self.backend = None
                return
            self.issued.add(issued.uci)
            self.tally.certificates = len(self.issued)

    def text_and_reply(self, today: date) -> None:
        """The morning's texts go out (appointments, reminders, next doses due, this morning's day-1 and
        day-7 check-ins) through the outbox's sender; then the replies to yesterday's doses' day-1
        check-ins come back through the reply path ("1" fine, "2 <symptoms>" a mild reaction), counted
        by what the reply path made of them (a family phone answers its latest open check-in)."""
        report = self.service.send_pending(self.phones, batch=1_000)
        self.tally.messages_sent += report.sent
        replies, self.replies = (
            self.replies.get(today, []),
            {day: r for day, r in self.replies.items() if day > today},
        )
        # In rounds, each phone once a round (a family's phone answers again in the next): a round's
        # replies read the views as they were at its start, which no other phone's reply changes.
        while replies:
            round_: list[tuple[str, str]] = []
            later: list[tuple[str, str]] = []
            seen: set[str] = set()
            for phone, text in replies:
                (later if phone in seen else round_).append((phone, text))
                seen.add(phone)
            replies = later
            with self.service.caught_up_once():
                for phone, text in round_:
                    result = self.service.reply(phone, text)
                    self.tally.replies[result.outcome] += 1
                    if result.outcome in ("mild", "serious"):
                        self.tally.reactions[result.outcome] += 1

    def react(self, person: _Person, dose_id: UUID, today: date, severity: str, staff: Actor) -> None:
        reaction_id = report_reaction(
            self.ledger,
            person.person_id,
            ReactionForm(onset=today, symptoms=SYMPTOMS[severity], severity=severity, dose_id=dose_id),
            actor=staff,
        )
        self.tally.reactions[severity] += 1
        if severity == "serious":
            self.ledger.record_follow_up(
                person_id=person.person_id,
                reaction_id=reaction_id,
                outcome="Đã hồi phục sau theo dõi 24 giờ (recovered after 24 h observation)",
                resolved=True,
                actor=staff,
                idempotency_key=self.key("follow-up", reaction_id),
            )
            self.tally.follow_ups += 1
