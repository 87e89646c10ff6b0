"""What dcc-verify prints for a person, in English or Vietnamese (`--language vi`).

The verifier imports nothing of the project (import-linter), so its words live here, not in the web catalog.
A language other than vi gets English; rule descriptions come from the rules themselves.
"""

from __future__ import annotations

import re

# The card a certificate earns under Viet Nam's rules (verifier/rulesets).
LEVELS_VI = {"green": "xanh", "yellow": "vàng", "red": "đỏ"}

STATUS_VI = {"passed": "đạt", "failed": "không đạt", "open": "chưa rõ"}

# One sentence per reason of a VerificationError; the error's own (English) text follows in brackets,
# as the project's CLI does for its catalog messages.
INVALID_VI = {
    "invalid": "Chứng nhận không hợp lệ.",
    "prefix": "Đây không phải chứng nhận y tế HC1.",
    "base45": "Phần sau HC1: không phải base45 hợp lệ.",
    "compression": "Dữ liệu nén bị hỏng hoặc quá lớn.",
    "cbor": "Cấu trúc CBOR không đọc được hoặc sai dạng.",
    "cose": "Phong bì chữ ký COSE sai dạng hoặc dùng thuật toán không hỗ trợ.",
    "unknown_kid": "Không có chứng thư ký tin cậy nào mang mã khóa của chứng nhận này.",
    "signature": "Chữ ký không khớp với khóa tin cậy nào.",
    "not_yet_valid": "Chứng nhận chưa có hiệu lực tại thời điểm kiểm tra.",
    "expired": "Chứng nhận đã hết hạn tại thời điểm kiểm tra.",
    "signer_validity": "Chứng thư ký không có hiệu lực tại thời điểm kiểm tra hoặc lúc ký.",
    "signer_expired": "Chứng thư ký đã hết hạn tại thời điểm kiểm tra.",
    "signer_not_yet_valid": "Chứng thư ký chưa có hiệu lực tại thời điểm kiểm tra.",
    "key_usage": "Chứng thư ký không được phép ký loại chứng nhận này.",
    "schema": "Nội dung chứng nhận không theo lược đồ DCC của phiên bản đó.",
    "revoked": "Chứng nhận đã bị thu hồi (có trong danh sách thu hồi).",
    "trust_list": "Danh sách tin cậy hoặc danh sách thu hồi chưa ký, bị hỏng hoặc quá cũ.",
    "picture": "Không đọc được mã QR trong ảnh.",
    "der": "Chứng thư ký không đọc được (DER sai).",
}


def vietnamese(language: str) -> bool:
    return language.lower().startswith("vi")


def level(name: str, language: str) -> str:
    return LEVELS_VI.get(name, name) if vietnamese(language) else name


def status(name: str, language: str) -> str:
    return STATUS_VI.get(name, name) if vietnamese(language) else name


def invalid(reason: str, detail: str, language: str) -> str:
    if not vietnamese(language):
        return f"INVALID ({reason}): {detail}"
    sentence = INVALID_VI.get(reason, INVALID_VI["invalid"])
    return f"KHÔNG HỢP LỆ ({reason}): {sentence} ({detail})"


def accepted_all(count: int, country: str, language: str) -> str:
    if vietnamese(language):
        return f"xác thực — được chấp nhận ({count} quy tắc của {country} đều đạt)"
    return f"authentic — accepted ({count} rules of {country} passed)"


def kept_out(status_name: str, rule: str, description: str, language: str) -> str:
    if vietnamese(language):
        word = "không được chấp nhận" if status_name == "failed" else "chưa rõ"
        return f"xác thực — {word}: quy tắc {rule} ({description})"
    word = "not accepted" if status_name == "failed" else "open"
    return f"authentic — {word}: rule {rule} ({description})"


def valid_summary(summary: str, language: str) -> str:
    return f"{'HỢP LỆ' if vietnamese(language) else 'VALID'} — {summary}"


def valid_level(card: str, country: str, language: str) -> str:
    if vietnamese(language):
        return f"HỢP LỆ: thẻ {level(card, language)} — xác thực, được chấp nhận theo quy tắc của {country}"
    return f"VALID: {card} — authentic, accepted by the rules of {country}"


def not_level(card: str, rule: str, description: str, language: str) -> str:
    if vietnamese(language):
        return f" (không phải thẻ {level(card, language)}: quy tắc {rule} ({description}))"
    return f" (not {card}: rule {rule} ({description}))"


def name_line(native: str, standard: str, language: str) -> str:
    label = "Họ tên" if vietnamese(language) else "Name"
    return f"{label}: {native}" + (f" ({standard})" if standard else "")


def birth_line(dob: str, language: str) -> str:
    """The holder's birth date as the certificate gives it (DCC schema: YYYY, YYYY-MM or YYYY-MM-DD,
    possibly followed by a time); in Vietnamese written day/month/year as Vietnamese papers write it."""
    if not vietnamese(language):
        return f"Date of birth: {dob}"
    found = _BIRTH_DATE.match(dob)
    shown = "/".join(part for part in reversed(found.groups()) if part) if found else dob
    return f"Ngày sinh: {shown}"


_BIRTH_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:$|T)")


def entry_line(index: int, count: int, language: str) -> str:
    if vietnamese(language):
        return f"Các quy tắc đã đọc mục {index} trong {count} mục (mục gần nhất) của chứng nhận này."
    return f"The rules looked at entry {index} of {count} (the most recent) of this certificate."


def warning_line(warning: str, language: str) -> str:
    return f"{'Cảnh báo' if vietnamese(language) else 'Warning'}: {warning}"


def rule_line(rule: str, status_name: str, description: str, detail: str, language: str) -> str:
    label = "Quy tắc" if vietnamese(language) else "Rule"
    return f"{label} {rule}: {status(status_name, language)} ({description}){detail}"
