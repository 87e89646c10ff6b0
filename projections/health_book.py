"""The citizen's health book: per person, family links, doses, reactions, declarations.

No personal data is stored here (decision shared with the ledger's personal-data module): rows hold
ids, codes and dates of doses only. Name, date of birth, national ID and reaction symptoms are read
from the ledger's Person aggregate when a health book is shown (decrypted with the person's key,
or "[erased]"), so this view needs no encryption and crypto-shredding reaches it for free. When a
person is erased their doses, reactions and declarations are purged and the person row only says
"erased" (a guardian still sees that a dependant existed and was erased).
"""

from __future__ import annotations

from ledger.domainmodel import Person
from projections.projection import Batch, ViewProjection, handles
from projections.recorder import Table


class HealthBook(ViewProjection):
    """One row per person, their doses, reactions and the summary of their health declarations."""

    name = "health_book"
    version = 2  # 2: doses carry their lot id and vaccinator (the pages read the health book from here)
    tables = (
        Table(
            "people",
            (
                "person_id TEXT NOT NULL",
                "guardian_id TEXT",
                "relationship TEXT",
                "province TEXT",
                "priority_group TEXT",
                "birth_year INTEGER",
                "registered_on TEXT NOT NULL",
                "erased INTEGER NOT NULL",
                "declarations BIGINT NOT NULL",
                "last_declared_on TEXT",
                "last_declared_symptoms INTEGER",
            ),
            ("person_id",),
            indexes=(("guardian_id",),),
        ),
        Table(
            "doses",
            (
                "dose_id TEXT NOT NULL",
                "person_id TEXT NOT NULL",
                "seq BIGINT NOT NULL",
                "dose_number INTEGER NOT NULL",
                "product TEXT NOT NULL",
                "lot_number TEXT NOT NULL",
                "lot_id TEXT NOT NULL",
                "site_id TEXT NOT NULL",
                "vaccinator_id TEXT NOT NULL",
                "day TEXT NOT NULL",
                "mixed_products INTEGER NOT NULL",
                "voided INTEGER NOT NULL",
                "corrections BIGINT NOT NULL",
            ),
            ("dose_id",),
            indexes=(("person_id",),),
        ),
        Table(
            "reactions",
            (
                "reaction_id TEXT NOT NULL",
                "person_id TEXT NOT NULL",
                "dose_id TEXT",
                "onset TEXT NOT NULL",
                "severity TEXT NOT NULL",
                "follow_ups BIGINT NOT NULL",
                "resolved INTEGER NOT NULL",
            ),
            ("reaction_id",),
            indexes=(("person_id",),),
        ),
    )

    @handles(Person.Registered)
    def _on_registered(self, e: Person.Registered, batch: Batch) -> None:
        batch.insert(
            f"INSERT INTO {self.t('people')} (person_id, guardian_id, relationship, province, priority_group, "
            "birth_year, registered_on, erased, declarations, last_declared_on, last_declared_symptoms) "
            "VALUES (?, ?, NULL, ?, ?, ?, ?, 0, 0, NULL, NULL)",
            str(e.originator_id),
            str(e.guardian_id) if e.guardian_id else None,
            e.province_code,
            e.priority_group,
            e.birth_year,
            e.at.date().isoformat(),
        )

    @handles(Person.DependantAdded)
    def _on_dependant(self, e: Person.DependantAdded, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('people')} SET guardian_id = ?, relationship = ? WHERE person_id = ?",
            str(e.originator_id),
            e.relationship,
            str(e.dependant_id),
        )

    @handles(Person.DoseAdministered)
    def _on_dose(self, e: Person.DoseAdministered, batch: Batch) -> None:
        batch.insert(
            f"INSERT INTO {self.t('doses')} (dose_id, person_id, seq, dose_number, product, lot_number, lot_id, "
            "site_id, vaccinator_id, day, mixed_products, voided, corrections) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)",
            str(e.dose_id),
            str(e.originator_id),
            e.originator_version,
            e.dose_number,
            e.product,
            e.lot_number,
            str(e.lot_id),
            str(e.site_id),
            e.vaccinator_id,
            e.administered_on.isoformat(),
            int(e.mixed_products),
        )

    @handles(Person.DoseCorrected)
    def _on_corrected(self, e: Person.DoseCorrected, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('doses')} SET product = ?, lot_number = ?, lot_id = ?, site_id = ?, vaccinator_id = ?, "
            "day = ?, mixed_products = ?, corrections = corrections + 1 WHERE dose_id = ?",
            e.product,
            e.lot_number,
            str(e.lot_id),
            str(e.site_id),
            e.vaccinator_id,
            e.administered_on.isoformat(),
            int(e.mixed_products),
            str(e.dose_id),
        )

    @handles(Person.DoseVoided)
    def _on_voided(self, e: Person.DoseVoided, batch: Batch) -> None:
        # The voided dose stays visible as voided; later doses move down one number, as in the ledger.
        doses = self.t("doses")
        batch.execute(
            f"UPDATE {doses} SET dose_number = dose_number - 1 WHERE person_id = ? AND voided = 0 "
            f"AND seq > (SELECT seq FROM {doses} WHERE dose_id = ?)",
            str(e.originator_id),
            str(e.dose_id),
        )
        batch.execute(f"UPDATE {doses} SET voided = 1 WHERE dose_id = ?", str(e.dose_id))

    @handles(Person.AdverseReactionReported)
    def _on_reaction(self, e: Person.AdverseReactionReported, batch: Batch) -> None:
        batch.insert(
            f"INSERT INTO {self.t('reactions')} (reaction_id, person_id, dose_id, onset, severity, follow_ups, resolved) "
            "VALUES (?, ?, ?, ?, ?, 0, 0)",
            str(e.reaction_id),
            str(e.originator_id),
            str(e.dose_id) if e.dose_id else None,
            e.onset.isoformat(),
            str(e.severity),
        )

    @handles(Person.ReactionFollowUpRecorded)
    def _on_follow_up(self, e: Person.ReactionFollowUpRecorded, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('reactions')} SET follow_ups = follow_ups + 1, resolved = CASE WHEN ? = 1 THEN 1 ELSE resolved END "
            "WHERE reaction_id = ?",
            int(e.resolved),
            str(e.reaction_id),
        )

    @handles(Person.HealthDeclared)
    def _on_declared(self, e: Person.HealthDeclared, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('people')} SET declarations = declarations + 1, last_declared_on = ?, "
            "last_declared_symptoms = ? WHERE person_id = ?",
            e.at.date().isoformat(),
            int(e.has_symptoms),
            str(e.originator_id),
        )

    @handles(Person.Erased)
    def _on_erased(self, e: Person.Erased, batch: Batch) -> None:
        person_id = str(e.originator_id)
        batch.execute(f"DELETE FROM {self.t('doses')} WHERE person_id = ?", person_id)
        batch.execute(f"DELETE FROM {self.t('reactions')} WHERE person_id = ?", person_id)
        batch.execute(
            f"UPDATE {self.t('people')} SET province = NULL, priority_group = NULL, birth_year = NULL, erased = 1, "
            "declarations = 0, last_declared_on = NULL, last_declared_symptoms = NULL WHERE person_id = ?",
            person_id,
        )
