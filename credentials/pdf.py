"""The printable certificate: an A4 page in Vietnamese and English with the QR code, name, date of birth, doses and status."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import threading
from functools import cache
from pathlib import Path

from fpdf import FPDF
from fpdf.errors import FPDFException

from credentials.errors import RenderingError
from credentials.issuer import IssuedCertificate
from credentials.qr import png_bytes, qr_matrix
from credentials.record import VaccinationRecord
from credentials.series import Status
from credentials.valuesets import products

# Vietnamese needs a Unicode font with every precomposed letter (Ầ, ự, ỹ, ...): DejaVu has them all.
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
REGULAR, BOLD = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"
_STATUS_COLOUR = {Status.GREEN: (0, 128, 0), Status.YELLOW: (230, 170, 0)}


# The characters a certificate prints in practice: Latin with every Vietnamese letter (Latin Extended
# Additional holds the precomposed ones), combining marks, punctuation. DejaVu has about 6,000 glyphs; a
# copy of the fonts cut down to these (once per process) makes each PDF 2-3x cheaper, because fpdf2 parses
# the whole font file for every document. A text outside them is printed with the full fonts.
_PRINTED = frozenset(
    [
        *range(0x20, 0x7F),
        *range(0xA0, 0x250),
        *range(0x300, 0x370),
        *range(0x1E00, 0x1F00),
        *range(0x2010, 0x2060),
    ]
)
_subset_lock = threading.Lock()
# The page's own words (checked too, so a new label outside `_PRINTED` falls back to the full fonts).
_FIXED_TEXT = (
    Status.GREEN.label_vi,
    Status.YELLOW.label_vi,
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc GIẤY CHỨNG NHẬN TIÊM CHỦNG COVID-19",
    "Họ và tên Tên theo ICAO Ngày sinh Mũi tiêm Có giá trị đến Mã chứng nhận Các mũi đã tiêm",
    "Cơ quan cấp: Bộ Y tế Ngày cấp Quét mã QR để kiểm tra",
)


def _font_paths(font_dir: Path) -> tuple[Path, Path]:
    regular, bold = font_dir / REGULAR, font_dir / BOLD
    for path in (regular, bold):
        if not path.is_file():
            raise RenderingError(
                f"The font {path} is missing; install it with `sudo apt-get install fonts-dejavu-core` (or run `make run`)."
            )
    return regular, bold


@cache
def _cut_fonts(font_dir: Path) -> tuple[Path, Path, frozenset[int]] | None:
    """The two fonts cut down to `_PRINTED`, in a private temporary folder, and the characters they hold;
    None if fontTools cannot cut them (the full fonts are used)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    try:
        folder = Path(tempfile.mkdtemp(prefix="immunize-fonts-"))
        cut: list[Path] = []
        held: frozenset[int] = _PRINTED
        for source in _font_paths(font_dir):
            font = TTFont(source)
            options = subset.Options()
            options.layout_features = ["*"]
            options.drop_tables += [
                "FFTM"
            ]  # FontForge's timestamps: fontTools cannot cut them, nothing needs them
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=sorted(_PRINTED))
            subsetter.subset(font)
            held = held & frozenset(font.getBestCmap())
            target = folder / source.name
            font.save(target)
            cut.append(target)
    except (OSError, ValueError, KeyError, AssertionError):
        return None
    return cut[0], cut[1], held


def _fonts_for(font_dir: Path, texts: list[str]) -> tuple[Path, Path]:
    """The cut-down fonts when they hold every character of `texts`, else the full ones."""
    with _subset_lock:
        cut = _cut_fonts(font_dir)
    if cut is not None and all(ord(char) in cut[2] for text in texts for char in text):
        return cut[0], cut[1]
    return _font_paths(font_dir)


def _day(value: dt.date | dt.datetime) -> str:
    return value.strftime("%d/%m/%Y")


def certificate_pdf(
    certificate: IssuedCertificate, record: VaccinationRecord, *, font_dir: Path = FONT_DIR
) -> bytes:
    """The PDF bytes of the printable certificate (reproducible: its dates are the certificate's own)."""
    names = certificate.dcc["nam"]
    table = products()
    variable = [str(v) for v in (*names.values(), certificate.dcc["dob"], certificate.uvci)]
    variable += [table[d.mp].name if d.mp in table else d.mp for d in record.doses]
    regular, bold = _fonts_for(font_dir, [*variable, *_FIXED_TEXT])
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_creation_date(certificate.issued_at)
    pdf.set_title("Giấy chứng nhận tiêm chủng COVID-19 / COVID-19 vaccination certificate")
    pdf.set_author("Bộ Y tế / Ministry of Health of Viet Nam")
    pdf.set_auto_page_break(auto=False)
    try:
        pdf.add_font("DejaVu", "", str(regular))
        pdf.add_font("DejaVu", "B", str(bold))
        pdf.add_page()
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(0, 6, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 10)
        pdf.cell(0, 5, "Độc lập - Tự do - Hạnh phúc", align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        pdf.set_font("DejaVu", "B", 16)
        pdf.cell(0, 9, "GIẤY CHỨNG NHẬN TIÊM CHỦNG COVID-19", align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 12)
        pdf.cell(0, 6, "COVID-19 vaccination certificate", align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        qr = png_bytes(qr_matrix(certificate.hc1), scale=4)
        side = 90.0
        pdf.image(io.BytesIO(qr), x=(210 - side) / 2, w=side, h=side)
        pdf.ln(2)
        red, green, blue = _STATUS_COLOUR[certificate.status]
        pdf.set_fill_color(red, green, blue)
        pdf.set_text_color(255, 255, 255)
        pdf.set_font("DejaVu", "B", 12)
        pdf.cell(0, 9, f"{certificate.status.label_vi} / {certificate.status.label_en}", align="C", fill=True,
                 new_x="LMARGIN", new_y="NEXT")  # fmt: skip
        pdf.set_text_color(0, 0, 0)
        pdf.ln(3)
        full_name = " ".join(part for part in (names["fn"], names.get("gn", "")) if part)
        machine_name = f"{names['fnt']}<<{names.get('gnt', '')}".rstrip("<")
        rows = [
            ("Họ và tên / Name", full_name),
            ("Tên theo ICAO / Standardised name", machine_name),
            ("Ngày sinh / Date of birth", certificate.dcc["dob"]),
            ("Mũi tiêm / Dose", f"{certificate.dose_number}/{certificate.series_doses}"),
            ("Có giá trị đến / Valid until", _day(certificate.expires_at)),
            ("Mã chứng nhận / Certificate ID", certificate.uvci),
        ]
        for label, value in rows:
            pdf.set_font("DejaVu", "", 9)
            pdf.cell(62, 6, label)
            pdf.set_font("DejaVu", "B", 10)
            pdf.multi_cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        pdf.set_font("DejaVu", "B", 10)
        pdf.cell(0, 6, "Các mũi đã tiêm / Doses given", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9)
        for number, dose in enumerate(record.doses, start=1):
            vaccine = table[dose.mp].name if dose.mp in table else dose.mp
            pdf.cell(0, 5, f"{number}.  {_day(dose.date)}   {vaccine} ({dose.mp})   {dose.country}",
                     new_x="LMARGIN", new_y="NEXT")  # fmt: skip
        pdf.set_y(-25)
        pdf.set_font("DejaVu", "", 8)
        pdf.multi_cell(0, 4, "Cơ quan cấp: Bộ Y tế / Issued by the Ministry of Health of Viet Nam. "
                       f"Ngày cấp / Issued on {_day(certificate.issued_at)}. "
                       "Quét mã QR để kiểm tra / Scan the QR code to verify (EU DCC format).",
                       align="C")  # fmt: skip
        return bytes(pdf.output())
    except (FPDFException, OSError, RuntimeError) as exc:
        raise RenderingError(f"The PDF certificate could not be drawn ({exc}).") from exc
