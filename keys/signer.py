"""Signers that hold a decrypted private key in memory only, with the certificate that vouches for it."""

from __future__ import annotations

from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from keys.algorithms import Algorithm, PrivateKey, algorithm_of, cose_sign
from keys.certificates import EKU_VACCINATION, der, issue_list_signer, kid_of
from keys.errors import InvalidKeyInput


def _public_der(key: object) -> bytes:
    public_bytes = getattr(key, "public_bytes", None)
    if public_bytes is None:  # pragma: no cover - every key type we accept has public_bytes
        raise InvalidKeyInput("the key has no public form")
    result: bytes = public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return result


class Signer:
    """A private key and its certificate: signs COSE Sig_structures; `.kid` names the certificate."""

    def __init__(self, private_key: PrivateKey, certificate: x509.Certificate) -> None:
        if _public_der(private_key.public_key()) != _public_der(certificate.public_key()):
            raise InvalidKeyInput("the private key does not belong to the certificate it was paired with")
        self._private_key = private_key
        self._algorithm = algorithm_of(private_key)
        self.certificate = certificate
        self.certificate_der: bytes = der(certificate)
        self.kid: bytes = kid_of(self.certificate_der)

    @property
    def algorithm(self) -> int:
        """The COSE algorithm identifier: -7 (ES256) or -37 (PS256)."""
        return self._algorithm.cose

    @property
    def algorithm_name(self) -> str:
        """ "ES256" or "PS256"."""
        return self._algorithm.value

    def sign(self, sig_structure: bytes) -> bytes:
        """Sign the encoded COSE Sig_structure: ES256 raw r||s (64 bytes); PS256 RSASSA-PSS SHA-256, salt 32."""
        if not isinstance(sig_structure, bytes | bytearray | memoryview):
            raise InvalidKeyInput("sign() takes the encoded Sig_structure as bytes")
        return cose_sign(self._private_key, bytes(sig_structure))

    def issue_list_signer(
        self, key: PrivateKey, not_before: datetime, not_after: datetime
    ) -> x509.Certificate:
        """As the CSCA: certify `key` as a list signer (keys.certificates.issue_list_signer)."""
        return issue_list_signer(key, self.certificate, self._private_key, not_before, not_after)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kid={self.kid.hex()}, algorithm={self.algorithm_name})"


class DocumentSigner(Signer):
    """A document signing certificate (DSC) with its key: what credentials/ signs DCCs with."""

    def __init__(self, private_key: PrivateKey, certificate: x509.Certificate) -> None:
        super().__init__(private_key, certificate)
        try:
            usages = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            usages = x509.ExtendedKeyUsage([])
        if EKU_VACCINATION not in usages:
            raise InvalidKeyInput(
                "the certificate may not sign vaccination certificates (no vaccination EKU)"
            )


__all__ = ["Algorithm", "DocumentSigner", "Signer"]
