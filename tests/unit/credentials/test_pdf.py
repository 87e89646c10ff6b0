"""The printable certificate: Vietnamese and English text, the person's name and doses, and a QR that reads back."""

from __future__ import annotations

from pathlib import Path

import pytest
import zxingcpp

from credentials import RenderingError, issue
from credentials.pdf import certificate_pdf
from keys.signing import InMemoryPKI
from tests.qr_reader import QR_ONLY
from tests.unit.credentials.conftest import ASTRAZENECA, NOW, PFIZER, dose, record
from tests.unit.credentials.pdfread import images, page_text


def test_the_pdf_shows_the_person_the_doses_the_status_and_a_readable_qr(pki: InMemoryPKI) -> None:
    person = record(
        dose(ASTRAZENECA, "2021-08-01"),
        dose(PFIZER, "2021-10-01"),
        family="Trương",
        given="Thị Thu Hương",
        dob="1980",
    )
    certificate = issue(person, pki.document_signer, now=NOW)

    pdf = certificate_pdf(certificate, person)

    text = page_text(pdf)
    assert "GIẤY CHỨNG NHẬN TIÊM CHỦNG COVID-19" in text
    assert "COVID-19 vaccination certificate" in text
    assert "Trương Thị Thu Hương" in text
    assert "TRUONG<<THI<THU<HUONG" in text
    assert "1980" in text
    assert "2/2" in text
    assert certificate.uvci in text
    assert "Xanh: đã tiêm đủ liều cơ bản / Green: primary series complete" in text
    assert "1.  01/08/2021   Vaxzevria (EU/1/21/1529)   VN" in text
    assert "2.  01/10/2021   Comirnaty (EU/1/20/1528)   VN" in text
    pictures = images(pdf)
    assert len(pictures) == 1
    assert [result.text for result in zxingcpp.read_barcodes(pictures[0], formats=QR_ONLY)] == [
        certificate.hc1
    ]


def test_a_partly_vaccinated_person_is_shown_yellow(pki: InMemoryPKI) -> None:
    person = record(dose(ASTRAZENECA, "2021-08-01"))
    text = page_text(certificate_pdf(issue(person, pki.document_signer, now=NOW), person))
    assert "Vàng: đã tiêm chưa đủ liều cơ bản / Yellow: partly vaccinated" in text
    assert "1/2" in text


def test_the_same_certificate_gives_the_same_pdf(pki: InMemoryPKI) -> None:
    person = record(dose(ASTRAZENECA, "2021-08-01"))
    certificate = issue(person, pki.document_signer, now=NOW)
    assert certificate_pdf(certificate, person) == certificate_pdf(certificate, person)


def test_a_missing_font_says_how_to_install_it(pki: InMemoryPKI, tmp_path: Path) -> None:
    person = record(dose(ASTRAZENECA, "2021-08-01"))
    certificate = issue(person, pki.document_signer, now=NOW)
    with pytest.raises(RenderingError, match="apt-get install fonts-dejavu-core"):
        certificate_pdf(certificate, person, font_dir=tmp_path)


def test_the_cut_down_fonts_print_every_vietnamese_letter_and_other_text_gets_the_full_fonts(
    pki: InMemoryPKI,
) -> None:
    from credentials.pdf import FONT_DIR, _font_paths, _fonts_for

    letters = "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
    assert _fonts_for(FONT_DIR, [letters, letters.lower()]) != _font_paths(FONT_DIR)  # the cut copies
    assert _fonts_for(FONT_DIR, ["Ωμέγα"]) == _font_paths(FONT_DIR)  # not in them: the full fonts
    person = record(dose(ASTRAZENECA, "2021-08-01"), family="Đặng", given="Thị Ỹ Ưng Ngọc Ẩn")
    text = page_text(certificate_pdf(issue(person, pki.document_signer, now=NOW), person))
    assert "Đặng Thị Ỹ Ưng Ngọc Ẩn" in text
