"""The three events each certificate re-issue writes (`Certificate.Issued`, `Certificate.Superseded`,
`CertificateIndex.Linked`), encoded from a field list to the library's exact bytes instead of through
its transcoder (ledger.event_encoding; a test compares the bytes). The ledger registers them in
`Ledger.event_shapes`; any event of these classes, however built, is then written this way.
"""

from __future__ import annotations

from ledger.certificate_model import Certificate, CertificateIndex
from ledger.event_encoding import EventShape

# The three events each re-issue writes, encoded without the transcoder (a test compares the bytes).
ISSUED_SHAPE = EventShape(
    Certificate.Issued,
    (
        ("timestamp", "datetime"),
        ("originator_topic", "str"),
        ("actor", "actor"),
        ("at", "datetime"),
        ("person_id", "uuid"),
        ("uci", "str"),
        ("kid", "str"),
        ("issued_at", "datetime"),
        ("expires_at", "datetime"),
        ("status", "str"),
        ("dose_id", "uuid"),
        ("dose_number", "int"),
        ("series_doses", "int"),
        ("hc1", "sealed"),
        ("basis", "str"),
    ),
)
SUPERSEDED_SHAPE = EventShape(
    Certificate.Superseded,
    (("timestamp", "datetime"), ("actor", "actor"), ("at", "datetime"), ("uci", "str"), ("by_uci", "str")),
)
LINKED_SHAPE = EventShape(CertificateIndex.Linked, (("timestamp", "datetime"), ("certificate_id", "uuid")))
CERTIFICATE_SHAPES = (ISSUED_SHAPE, SUPERSEDED_SHAPE, LINKED_SHAPE)
