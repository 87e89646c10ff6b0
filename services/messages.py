"""Every error code's message in Vietnamese and English: specific, with the values, saying what to do.

`message(error, lang)` is the one way an error becomes a sentence for a person (pages, JSON, CLI).
A test walks every error class of the project and fails if a code has no message in both languages.
Dates are written dd/mm/yyyy in both languages (as on Viet Nam's vaccination cards).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

from services.errors import params_of
from services.numbers import quantity

LANGUAGES: Final = ("vi", "en")

ERROR_MESSAGES: Final[dict[str, dict[str, str]]] = {
    # ---- ledger: configuration and store ----------------------------------------------------------
    "ledger_error": {
        "vi": "Không ghi nhận được. Kiểm tra lại thông tin rồi gửi lại.",
        "en": "Not recorded. Check what you typed and submit again.",
    },
    "ledger_configuration": {
        "vi": "Sổ tiêm chủng chưa được cấu hình đúng. Báo quản trị hệ thống.",
        "en": "The ledger is not configured correctly. Tell the system administrator.",
    },
    "reference_data_missing": {
        "vi": "Thiếu dữ liệu danh mục (tỉnh, xã, vắc xin). Báo quản trị hệ thống.",
        "en": "The reference data (provinces, wards, vaccines) is missing. Tell the system administrator.",
    },
    "store_unavailable": {
        "vi": "Cơ sở dữ liệu tạm thời không phản hồi. Thử lại sau ít phút; chưa có gì được ghi.",
        "en": "The database is not answering. Try again in a few minutes; nothing was recorded.",
    },
    "database_unavailable": {
        "vi": "Cơ sở dữ liệu tạm thời không phản hồi hoặc từ chối thao tác. Thử lại sau ít phút; chưa có gì được ghi.",
        "en": "The database is not answering or refused the change. Try again in a few minutes; nothing was recorded.",
    },
    "primary_unavailable": {
        "vi": "Máy chủ cơ sở dữ liệu đang chuyển đổi dự phòng. Gửi lại sau ít giây; mũi tiêm không bị ghi hai lần.",
        "en": "The database is failing over. Submit again in a few seconds; nothing is ever recorded twice.",
    },
    "personal_data_keys_unavailable": {
        "vi": "Không đọc được khóa mã hóa dữ liệu cá nhân. Báo quản trị hệ thống.",
        "en": "The personal-data encryption keys cannot be read. Tell the system administrator.",
    },
    "concurrent_change": {
        "vi": "Hồ sơ vừa được người khác cập nhật cùng lúc. Hãy gửi lại.",
        "en": "Someone else changed this record at the same moment. Submit again.",
    },
    "idempotency_key_reused": {
        "vi": "Biểu mẫu này đã được gửi với nội dung khác. Tải lại trang rồi nhập lại.",
        "en": "This form was already sent with other values. Reload the page and enter it again.",
    },
    # ---- ledger: input ------------------------------------------------------------------------------
    "invalid_input": {
        "vi": "Thông tin chưa đúng. Kiểm tra lại các mục đã nhập.",
        "en": "Something typed is not right. Check the fields.",
    },
    "national_id_invalid": {
        "vi": "Số CCCD gồm 12 chữ số (CMND cũ: 9 chữ số), bắt đầu bằng 0 và mã tỉnh. Kiểm tra lại thẻ.",
        "en": "A CCCD number has 12 digits (old CMND: 9), starting with 0 and a province code. Check the card.",
    },
    "text_empty": {
        "vi": "Mục {what} đang trống: hãy điền vào.",
        "en": "The {what} is empty: fill it in.",
    },
    "text_too_long": {
        "vi": "Mục {what} dài quá {limit} ký tự: hãy rút gọn.",
        "en": "The {what} is longer than {limit} characters: shorten it.",
    },
    "dose_number_invalid": {
        "vi": "Số mũi {value} không hợp lệ: nhập số nguyên từ 1 đến 20.",
        "en": "Dose number {value} is not valid: type a whole number from 1 to 20.",
    },
    "ward_unknown": {
        "vi": "Mã phường/xã {ward_code} không tồn tại. Chọn phường/xã trong danh sách, ví dụ 00001 (Phúc Xá).",
        "en": "There is no ward with code {ward_code}. Choose the ward from the list, e.g. 00001 (Phúc Xá).",
    },
    "priority_group_unknown": {
        "vi": "Nhóm ưu tiên {group} không có trong danh mục. Chọn một nhóm trong danh sách.",
        "en": "{group} is not a priority group. Choose one from the list.",
    },
    "vaccine_unknown": {
        "vi": "Vắc xin {product} không được dùng tại Việt Nam. Chọn lô của vắc xin đã tiêm.",
        "en": "{product} is not a vaccine used in Viet Nam. Choose the lot of the vaccine given.",
    },
    "date_invalid": {
        "vi": "{value} không phải ngày hợp lệ. Nhập ngày/tháng/năm, hoặc chỉ năm nếu chỉ biết năm sinh.",
        "en": "{value} is not a real date. Type day/month/year, or only the year if that is all you know.",
    },
    "birth_date_in_future": {
        "vi": "Ngày sinh {date_of_birth} ở tương lai (hôm nay là {today}). Kiểm tra lại năm sinh.",
        "en": "The date of birth {date_of_birth} is in the future (today is {today}). Check the year.",
    },
    "name_invalid": {
        "vi": "Họ và tên trống, quá dài (tối đa 200 ký tự) hoặc có ký tự lạ. Nhập như trên CCCD, họ trước.",
        "en": "The full name is empty, too long (200 characters at most) or has odd characters. "
        "Type it as on the ID card, family name first.",
    },
    "name_not_transliterable": {
        "vi": "Tên có ký tự {letters} không viết được bằng chữ Latinh trên chứng nhận (ICAO 9303). "
        "Nhập tên bằng chữ tiếng Việt hoặc chữ Latinh.",
        "en": "The name has {letters}, which cannot be written in Latin letters on a certificate "
        "(ICAO 9303). Type the name in Vietnamese or Latin letters.",
    },
    "phone_invalid": {
        "vi": "Số điện thoại {phone} không phải số di động Việt Nam. Nhập 10 chữ số bắt đầu bằng 0, "
        "ví dụ 0912345678.",
        "en": "{phone} is not a Vietnamese mobile number. Type 10 digits starting with 0, e.g. 0912345678.",
    },
    # ---- ledger: not found ------------------------------------------------------------------------
    "not_found": {
        "vi": "Không tìm thấy hồ sơ này.",
        "en": "This record was not found.",
    },
    "person_not_found": {
        "vi": "Không tìm thấy người này. Kiểm tra lại số giấy tờ hoặc đăng ký mới.",
        "en": "No such person. Check the ID number or register them.",
    },
    "site_not_found": {
        "vi": "Không tìm thấy điểm tiêm này. Kiểm tra lại điểm tiêm của tài khoản.",
        "en": "There is no such vaccination site. Check the site of your account.",
    },
    "lot_not_found": {
        "vi": "Không có lô vắc xin này. Chọn một lô trong danh sách của điểm tiêm.",
        "en": "There is no such vaccine lot. Choose a lot from your site's list.",
    },
    "dose_not_found": {
        "vi": "Người này không có mũi tiêm đã chọn (hoặc mũi đó đã bị hủy). Tải lại trang.",
        "en": "This person has no such dose (or it was voided). Reload the page.",
    },
    "reaction_not_found": {
        "vi": "Không có báo cáo phản ứng này. Tải lại trang.",
        "en": "There is no such reaction report. Reload the page.",
    },
    "certificate_not_found": {
        "vi": "Không có chứng nhận này (hoặc không còn hiệu lực).",
        "en": "There is no such certificate (or it is no longer current).",
    },
    "person_erased": {
        "vi": "Hồ sơ này đã bị xóa theo yêu cầu; không thể ghi thêm.",
        "en": "This record was erased on request; nothing more can be recorded.",
    },
    "national_id_taken": {
        "vi": "Số giấy tờ này đã được đăng ký. Tìm người này tại bàn tiêm thay vì đăng ký lại.",
        "en": "This ID number is already registered. Find the person instead of registering again.",
    },
    # ---- ledger: rules ---------------------------------------------------------------------------
    "rule_violation": {
        "vi": "Không ghi nhận được: quy định tiêm chủng không cho phép việc này.",
        "en": "Not recorded: the vaccination rules do not allow this.",
    },
    "not_permitted": {
        "vi": "Bạn không có quyền làm việc này với hồ sơ này.",
        "en": "You are not allowed to do this with this record.",
    },
    "not_at_own_site": {
        "vi": "Tài khoản của bạn chỉ làm việc tại điểm tiêm của mình. Đăng nhập đúng điểm tiêm.",
        "en": "Your account works at its own site only. Sign in at the right site.",
    },
    "dose_of_another_site": {
        "vi": "Mũi tiêm này do điểm tiêm khác thực hiện. Đề nghị điểm tiêm đó hoặc cán bộ tỉnh hủy mũi.",
        "en": "That dose was given at another site. Ask that site or a province officer to void it.",
    },
    "identity_of_another_site": {
        "vi": "Điểm tiêm của bạn chưa đăng ký hay tiêm cho người này. Đề nghị cán bộ tỉnh hoặc điểm tiêm đã "
        "tiêm cho họ sửa thông tin nhận dạng.",
        "en": "Your site never registered or vaccinated this person. Ask a province officer or the site that "
        "vaccinated them to change their identity.",
    },
    "dose_out_of_sequence": {
        "vi": "Người này cần tiêm mũi {expected}, không phải mũi {dose_number}. "
        "Kiểm tra lại phiếu tiêm, hoặc hủy mũi ghi nhầm trước.",
        "en": "This person's next dose is dose {expected}, not dose {dose_number}. "
        "Check the vaccination card, or void a wrong dose first.",
    },
    "dose_not_after_previous": {
        "vi": "Mũi {dose_number} ({given_on}) phải sau mũi {previous_number} ({previous_on}). Kiểm tra lại ngày tiêm.",
        "en": "Dose {dose_number} ({given_on}) must come after dose {previous_number} ({previous_on}). "
        "Check the dates.",
    },
    "dose_too_soon": {
        "vi": "Mũi {dose_number} phải cách mũi {previous_number} ít nhất {min_days} ngày (sớm nhất {earliest}).",
        "en": "Dose {dose_number} must be at least {min_days} days after dose {previous_number} "
        "(earliest {earliest}).",
    },
    "dose_date": {
        "vi": "Ngày tiêm không hợp lệ. Kiểm tra lại ngày tiêm.",
        "en": "The dose date is not possible. Check it.",
    },
    "onset_in_future": {
        "vi": "Ngày bắt đầu triệu chứng {onset} ở tương lai (hôm nay là {today}). Nhập ngày triệu chứng bắt đầu.",
        "en": "The onset date {onset} is in the future (today is {today}). Type the day the symptoms began.",
    },
    "dose_date_in_future": {
        "vi": "Ngày tiêm {given_on} ở tương lai (hôm nay là {today}). Nhập ngày đã tiêm.",
        "en": "The dose date {given_on} is in the future (today is {today}). Type the day it was given.",
    },
    "dose_before_birth": {
        "vi": "Ngày tiêm {given_on} trước ngày sinh. Kiểm tra lại ngày tiêm và ngày sinh.",
        "en": "The dose date {given_on} is before the date of birth. Check both dates.",
    },
    "lot_unusable": {
        "vi": "Không dùng được lô này. Chọn lô vắc xin đã thực sự dùng.",
        "en": "This lot cannot be used. Choose the lot actually used.",
    },
    "lot_expired": {
        "vi": "Lô {lot_number} hết hạn ngày {expiry}, trước ngày tiêm {given_on}. Không dùng lô này; "
        "ghi lô đã thực sự dùng.",
        "en": "Lot {lot_number} expired on {expiry}, before the dose date {given_on}. Do not use it; "
        "record the lot actually used.",
    },
    "lot_wrong_product": {
        "vi": "Lô {lot_number} là vắc xin {lot_product}, không phải {product}. Chọn lô của vắc xin đã tiêm.",
        "en": "Lot {lot_number} is {lot_product}, not {product}. Choose the lot of the vaccine given.",
    },
    "lot_not_at_site": {
        "vi": "Lô {lot_number} không thuộc điểm tiêm này. Chọn lô của điểm tiêm, hoặc điều chuyển lô trước.",
        "en": "Lot {lot_number} is not held at this site. Choose one of the site's lots, or transfer it first.",
    },
    # ---- credentials -----------------------------------------------------------------------------
    "credential_error": {
        "vi": "Không tạo được chứng nhận. Thử lại sau; nếu vẫn lỗi, báo điểm tiêm.",
        "en": "The certificate could not be made. Try again later; if it persists, tell the site.",
    },
    "record_not_certifiable": {
        "vi": "Hồ sơ chưa thể cấp chứng nhận (tên, ngày hoặc mã vắc xin chưa đúng). Liên hệ điểm tiêm để sửa.",
        "en": "This record cannot be certified yet (name, date or vaccine code). Ask the site to correct it.",
    },
    "certificate_schema_violation": {
        "vi": "Chứng nhận tạo ra không đúng chuẩn nên không được cấp. Báo quản trị hệ thống.",
        "en": "The certificate made does not follow the standard, so it was not handed out. Tell the administrator.",
    },
    "signing_failed": {
        "vi": "Không ký được chứng nhận. Thử lại sau ít phút.",
        "en": "The certificate could not be signed. Try again in a few minutes.",
    },
    "certificate_self_check_failed": {
        "vi": "Chứng nhận vừa tạo không qua được bước tự kiểm tra nên không được cấp. Báo quản trị hệ thống.",
        "en": "The new certificate failed its own check, so it was not handed out. Tell the administrator.",
    },
    "certificate_rendering_failed": {
        "vi": "Không vẽ được mã QR hoặc tệp PDF. Thử lại sau.",
        "en": "The QR code or PDF could not be drawn. Try again later.",
    },
    "schema_keyword_unsupported": {
        "vi": "Bộ kiểm tra lược đồ không hỗ trợ tệp lược đồ này. Báo quản trị hệ thống.",
        "en": "The schema checker does not support this schema file. Tell the administrator.",
    },
    # ---- keys ------------------------------------------------------------------------------------
    "keys_error": {
        "vi": "Khóa ký chứng nhận chưa sẵn sàng. Báo quản trị hệ thống.",
        "en": "The certificate signing keys are not ready. Tell the administrator.",
    },
    "keys_not_initialised": {
        "vi": "Hệ thống chưa có khóa ký chứng nhận. Quản trị viên chạy `immunize keys init`.",
        "en": "There are no signing keys yet. The administrator runs `immunize keys init`.",
    },
    "keys_already_exist": {
        "vi": "Thư mục khóa đã có kho khóa. Dùng `immunize keys rotate` thay vì tạo lại.",
        "en": "The key directory already holds keys. Use `immunize keys rotate` instead.",
    },
    "key_file_missing": {
        "vi": "Thiếu tệp khóa hoặc chứng thư trong thư mục khóa. Khôi phục từ bản sao lưu.",
        "en": "A key or certificate file is missing from the key directory. Restore it from backup.",
    },
    "key_passphrase_missing": {
        "vi": "Chưa đặt mật khẩu kho khóa (IMMUNIZE_KEY_PASSPHRASE). Báo quản trị hệ thống.",
        "en": "The key store passphrase (IMMUNIZE_KEY_PASSPHRASE) is not set. Tell the administrator.",
    },
    "key_passphrase_wrong": {
        "vi": "Mật khẩu kho khóa không đúng. Báo quản trị hệ thống.",
        "en": "The key store passphrase is wrong. Tell the administrator.",
    },
    "key_passphrase_too_weak": {
        "vi": "Mật khẩu kho khóa quá ngắn: cần ít nhất 12 ký tự cho khóa thật.",
        "en": "The key store passphrase is too short: production keys need at least 12 characters.",
    },
    "key_store_corrupt": {
        "vi": "Kho khóa bị hỏng. Khôi phục từ bản sao lưu.",
        "en": "The key store is damaged. Restore it from backup.",
    },
    "signing_key_unknown": {
        "vi": "Không có khóa ký với mã này. Kiểm tra lại mã khóa (kid).",
        "en": "No signing key has that id. Check the kid.",
    },
    "signing_key_revoked": {
        "vi": "Khóa ký này đã bị thu hồi và không được ký nữa.",
        "en": "This signing key was revoked and may no longer sign.",
    },
    "signing_key_not_usable": {
        "vi": "Không có khóa ký còn hiệu lực hôm nay. Quản trị viên chạy `immunize keys rotate`.",
        "en": "No signing key is valid today. The administrator runs `immunize keys rotate`.",
    },
    "key_input_invalid": {
        "vi": "Tham số cho kho khóa không hợp lệ (thuật toán, lý do, kid, thời gian).",
        "en": "An argument for the key store is not acceptable (algorithm, reason, kid, time).",
    },
    # ---- projections, audit ----------------------------------------------------------------------
    "projection_error": {
        "vi": "Số liệu tổng hợp tạm thời chưa sẵn sàng. Thử lại sau ít phút.",
        "en": "The figures are not available right now. Try again in a few minutes.",
    },
    "person_not_in_view": {
        "vi": "Sổ sức khỏe của người này chưa được cập nhật. Thử lại sau ít giây.",
        "en": "This person's health book is not up to date yet. Try again in a few seconds.",
    },
    "view_unknown": {
        "vi": "Không có bảng số liệu tên này.",
        "en": "There is no view with that name.",
    },
    "view_moved_on": {
        "vi": "Bảng số liệu vừa được cập nhật bởi tiến trình khác. Thử lại.",
        "en": "The view was just updated by another process. Try again.",
    },
    "read_side_rebuilding": {
        "vi": "Dữ liệu tra cứu đang được cập nhật lại (sau khi nâng cấp hoặc đổi khóa). Vui lòng thử lại sau một phút.",
        "en": "The read side is being rebuilt (after an upgrade or a new key): try again in a minute.",
    },
    "view_needs_key": {
        "vi": "Bảng chỉ mục số điện thoại chỉ được dựng trong tiến trình web (cần khóa của web). Nó được dựng khi chạy `immunize serve` hoặc `immunize run`.",
        "en": "The phone index is built only by the web process (it needs the web's key). It is built by `immunize serve` or `immunize run`.",
    },
    "audit_error": {
        "vi": "Chuỗi kiểm toán chưa sẵn sàng. Báo quản trị hệ thống.",
        "en": "The audit chain is not ready. Tell the administrator.",
    },
    "audit_tampering_detected": {
        "vi": "Nhật ký không còn khớp với chuỗi kiểm toán: có dấu hiệu bị sửa. Báo ngay cho kiểm toán viên.",
        "en": "The log no longer matches its audit chain: it may have been tampered with. Tell the auditor now.",
    },
    "transparency_log_damaged": {
        "vi": "Bảng cây Merkle của sổ công khai bị thiếu hoặc hỏng. Chạy kiểm tra (audit verify) và báo kiểm toán viên.",
        "en": "The public log's Merkle tables are missing rows or damaged. Run `immunize audit verify` and tell the auditor.",
    },
    "merkle_proof_invalid": {
        "vi": "Bằng chứng Merkle không đúng (kích thước cây, đường dẫn hoặc mã băm gốc).",
        "en": "The Merkle proof does not hold (tree size, path or root hash).",
    },
    "audit_proof_request_invalid": {
        "vi": "Yêu cầu bằng chứng không hợp lệ (vị trí hoặc kích thước cây). Kiểm tra các số rồi thử lại.",
        "en": "The proof request is not possible (position or tree size). Check the numbers and try again.",
    },
    "audit_proof_not_available": {
        "vi": "Sổ công khai chưa có điểm kiểm tra cho bản ghi này. Thử lại sau một phút.",
        "en": "The public log has no checkpoint covering this record yet. Try again in a minute.",
    },
    "audit_checkpoint_invalid": {
        "vi": "Điểm kiểm tra (checkpoint) bị hỏng, thiếu hoặc không được ký bằng khóa kiểm toán tin cậy.",
        "en": "The checkpoint is damaged, truncated, or not signed by a trusted audit key.",
    },
    "audit_proof_invalid": {
        "vi": "Tệp bằng chứng bị hỏng hoặc bằng chứng không khớp với điểm kiểm tra đã ký.",
        "en": "The proof file is damaged, or its proof does not match its signed checkpoint.",
    },
    "audit_file_invalid": {
        "vi": "Tệp xuất hoặc sao lưu bị hỏng, thiếu hoặc của sổ khác.",
        "en": "The export or backup file is damaged, truncated, or from another ledger.",
    },
    # ---- verifier --------------------------------------------------------------------------------
    "certificate_invalid": {
        "vi": "Chứng nhận không hợp lệ.",
        "en": "The certificate is not valid.",
    },
    "certificate_prefix": {
        "vi": "Đây không phải chứng nhận tiêm chủng (chuỗi phải bắt đầu bằng HC1:).",
        "en": "This is not a vaccination certificate (it must start with HC1:).",
    },
    "certificate_base45": {
        "vi": "Chuỗi chứng nhận bị hỏng (base45). Quét lại mã QR.",
        "en": "The certificate text is damaged (base45). Scan the QR code again.",
    },
    "certificate_compression": {
        "vi": "Chuỗi chứng nhận bị hỏng (nén). Quét lại mã QR.",
        "en": "The certificate text is damaged (compression). Scan the QR code again.",
    },
    "certificate_cbor": {
        "vi": "Nội dung chứng nhận bị hỏng. Quét lại mã QR.",
        "en": "The certificate content is damaged. Scan the QR code again.",
    },
    "certificate_cose": {
        "vi": "Phần ký của chứng nhận bị hỏng hoặc dùng thuật toán không hỗ trợ.",
        "en": "The certificate's signature envelope is damaged or uses an unsupported algorithm.",
    },
    "certificate_unknown_kid": {
        "vi": "Chứng nhận được ký bằng khóa không có trong danh sách tin cậy.",
        "en": "The certificate was signed with a key that is not on the trust list.",
    },
    "certificate_signature": {
        "vi": "Chữ ký của chứng nhận không đúng: chứng nhận có thể đã bị sửa.",
        "en": "The certificate's signature does not match: it may have been altered.",
    },
    "certificate_not_yet_valid": {
        "vi": "Chứng nhận chưa có hiệu lực. Kiểm tra đồng hồ của thiết bị.",
        "en": "The certificate is not valid yet. Check the device's clock.",
    },
    "certificate_expired": {
        "vi": "Chứng nhận đã hết hạn. Tải chứng nhận mới trong sổ sức khỏe.",
        "en": "The certificate has expired. Download a new one from the health book.",
    },
    "certificate_signer_validity": {
        "vi": "Chứng thư của khóa đã ký chứng nhận không còn hiệu lực (hoặc không có hiệu lực khi ký).",
        "en": "The certificate of the key that signed this was not valid at the check time or when it signed.",
    },
    "certificate_signer_expired": {
        "vi": "Chứng thư của khóa đã ký chứng nhận đã hết hạn. Tải chứng nhận mới trong sổ sức khỏe.",
        "en": "The certificate of the key that signed this has expired. Download a new one from the health book.",
    },
    "certificate_signer_not_yet_valid": {
        "vi": "Chứng thư của khóa đã ký chứng nhận chưa có hiệu lực. Kiểm tra đồng hồ của thiết bị.",
        "en": "The certificate of the key that signed this is not valid yet. Check the device's clock.",
    },
    "certificate_der": {
        "vi": "Chứng thư ký số trong danh sách tin cậy bị hỏng (DER).",
        "en": "A signing certificate in the trust list is damaged (DER).",
    },
    "certificate_key_usage": {
        "vi": "Khóa đã ký chứng nhận này không được phép ký chứng nhận tiêm chủng.",
        "en": "The key that signed this certificate may not sign vaccination certificates.",
    },
    "certificate_schema": {
        "vi": "Nội dung chứng nhận không đúng chuẩn DCC.",
        "en": "The certificate content does not follow the DCC standard.",
    },
    "certificate_revoked": {
        "vi": "Chứng nhận này đã bị thu hồi. Tải chứng nhận hiện hành trong sổ sức khỏe.",
        "en": "This certificate was revoked. Download the current one from the health book.",
    },
    "certificate_trust_list": {
        "vi": "Danh sách tin cậy hoặc danh sách thu hồi bị hỏng hoặc quá cũ. Tải danh sách mới.",
        "en": "The trust list or revocation list is damaged or too old. Download a new one.",
    },
    "certificate_rules": {
        "vi": "Tệp quy tắc chấp nhận không đúng định dạng.",
        "en": "An acceptance rule file is malformed.",
    },
    "acceptance_rules_unusable": {
        "vi": "Không dùng được tệp quy tắc hoặc danh mục giá trị. Tải lại bộ quy tắc.",
        "en": "A rule file or value set cannot be used. Download the rule set again.",
    },
    "acceptance_rules_malformed": {
        "vi": "Tệp quy tắc không đúng định dạng của cổng EU. Tải lại bộ quy tắc.",
        "en": "A rule file is not in the EU gateway format. Download the rule set again.",
    },
    "acceptance_rules_too_large": {
        "vi": "Tệp quy tắc lớn bất thường nên không được đọc.",
        "en": "A rule file is far larger than any real rule set, so it was not read.",
    },
    "acceptance_unknown_country": {
        "vi": "Chưa tải quy tắc của quốc gia đã chọn. Chọn quốc gia khác hoặc tải quy tắc.",
        "en": "No rules of the chosen country are loaded. Choose another country or load its rules.",
    },
    "acceptance_missing_value_set": {
        "vi": "Quy tắc cần một danh mục giá trị chưa được tải. Tải các danh mục giá trị.",
        "en": "A rule needs a value set that is not loaded. Load the value sets.",
    },
    "acceptance_value_set_malformed": {
        "vi": "Tệp danh mục giá trị bị hỏng hoặc sai định dạng.",
        "en": "A value set file is unreadable or malformed.",
    },
    "acceptance_certlogic": {
        "vi": "Biểu thức CertLogic của quy tắc không hợp lệ.",
        "en": "A rule's CertLogic expression is invalid.",
    },
    "acceptance_certlogic_unknown_operation": {
        "vi": "Quy tắc dùng phép toán CertLogic không tồn tại.",
        "en": "A rule uses an operation CertLogic does not have.",
    },
    "acceptance_certlogic_too_deep": {
        "vi": "Biểu thức của quy tắc lồng nhau quá sâu.",
        "en": "A rule's expression nests deeper than any real rule would.",
    },
    "certificate_picture": {
        "vi": "Không đọc được mã QR trong ảnh. Chụp lại rõ hơn.",
        "en": "No QR code could be read from the picture. Take a clearer one.",
    },
    # ---- services --------------------------------------------------------------------------------
    "service_error": {
        "vi": "Không thực hiện được. Kiểm tra lại rồi thử lại.",
        "en": "That did not work. Check and try again.",
    },
    "record_not_found": {
        "vi": "Không tìm thấy trang hoặc hồ sơ này.",
        "en": "This page or record was not found.",
    },
    "not_in_family": {
        "vi": "Không tìm thấy người này trong gia đình của bạn.",
        "en": "This person is not in your family.",
    },
    "not_in_province": {
        "vi": "Không tìm thấy người này trong tỉnh của bạn. Kiểm tra lại số giấy tờ.",
        "en": "No such person in your province. Check the ID number.",
    },
    "already_registered_today": {
        "vi": "Người này (cùng họ tên và ngày sinh) đã được đăng ký từ số điện thoại này hôm nay. "
        "Hãy xem trong danh sách gia đình; nhân viên y tế sẽ sửa các thông tin khác khi tiêm.",
        "en": "This person (the same name and date of birth) was already registered from this phone today. "
        "Find them in your family list; staff correct other details at the visit.",
    },
    "national_id_declared_online": {
        "vi": "Đã có người tự đăng ký trực tuyến với số giấy tờ này (chưa xác nhận). Đừng đăng ký lại: "
        "hãy tìm người đó theo số giấy tờ, mở hồ sơ, xem thẻ rồi bấm xác nhận số giấy tờ.",
        "en": "Someone registered online with this ID number (not yet confirmed). Do not register again: "
        "find them by this number, open their record, check the card and confirm the number.",
    },
    "already_registered_at_desk": {
        "vi": "Người này (cùng họ tên, ngày sinh và số giấy tờ) đã được đăng ký tại quầy hôm nay. "
        "Hãy tìm họ theo số giấy tờ và sửa các thông tin khác trên trang của họ.",
        "en": "This person (the same name, date of birth and ID number) was already registered at this desk "
        "today. Find them by their ID number and correct other details on their page.",
    },
    "register_first": {
        "vi": "Hãy đăng ký bản thân trước, rồi thêm người phụ thuộc.",
        "en": "Register yourself first, then add dependants.",
    },
    "certificate_not_issued": {
        "vi": "Chưa có chứng nhận hiện hành. Bấm «Lấy chứng nhận» để được cấp.",
        "en": "There is no current certificate yet. Press “Get the certificate” to have it issued.",
    },
    "no_dose_yet": {
        "vi": "Chưa có mũi tiêm nào nên chưa có chứng nhận.",
        "en": "No dose yet, so no certificate.",
    },
    "certificate_format_unknown": {
        "vi": "Chứng nhận chỉ có dạng .png, .svg hoặc .pdf.",
        "en": "Certificates come as .png, .svg or .pdf.",
    },
    "correction_dose_missing": {
        "vi": "Chọn mũi tiêm cần hủy.",
        "en": "Choose the dose to void.",
    },
    "certificate_not_accepted": {
        "vi": "Chứng nhận xuất trình không hợp lệ, nên không tìm được người. Tìm bằng số CCCD.",
        "en": "The certificate shown is not valid, so nobody was found. Search by national ID number.",
    },
    "no_one_with_phone": {
        "vi": "Không có ai đăng ký với số điện thoại này. Kiểm tra lại số, hoặc tìm bằng CCCD.",
        "en": "No one is registered with that phone number: check it, or find them by ID card.",
    },
    "no_person_for_certificate": {
        "vi": "Chứng nhận hợp lệ nhưng không thuộc hồ sơ nào ở đây. Tìm bằng số CCCD.",
        "en": "The certificate is valid but belongs to no record here. Search by national ID number.",
    },
    "keys_missing": {
        "vi": "Hệ thống chưa có khóa ký chứng nhận. Quản trị viên chạy `immunize keys init`.",
        "en": "The signing keys are not set up yet. The administrator runs `immunize keys init`.",
    },
    "audit_needs_database": {
        "vi": "Chuỗi kiểm toán cần sổ trên SQLite hoặc PostgreSQL, không phải bộ nhớ.",
        "en": "The audit chain needs a SQLite or PostgreSQL ledger, not an in-memory one.",
    },
    "certificate_uncheckable": {
        "vi": "Không kiểm tra được chứng nhận trước khi in. Thử lại sau ít phút.",
        "en": "The certificate could not be checked before printing. Try again in a few minutes.",
    },
    # ---- campaign operations (issue 13) ---------------------------------------------------------------
    "campaign_error": {
        "vi": "Không thực hiện được thao tác lịch tiêm. Kiểm tra lại rồi thử lại.",
        "en": "The campaign operation could not be done. Check and try again.",
    },
    "campaign_input_invalid": {
        "vi": "Thông tin buổi tiêm chưa đúng (giờ dạng HH:MM, ngày dạng YYYY-MM-DD). Kiểm tra lại các mục.",
        "en": "A session detail is not right (times as HH:MM, days as YYYY-MM-DD). Check the fields.",
    },
    "session_capacity_invalid": {
        "vi": "Số chỗ mỗi buổi phải từ 1 đến {maximum}, không phải {capacity}. Muốn ngừng thì tạm dừng điểm tiêm.",
        "en": "A session holds 1 to {maximum} people, not {capacity}. To stop, pause the site instead.",
    },
    "campaign_day_in_past": {
        "vi": "Ngày {day} đã qua (hôm nay {today}). Chọn hôm nay hoặc một ngày sau.",
        "en": "{day} is in the past (today is {today}). Choose today or a later day.",
    },
    "already_registered": {
        "vi": "Người này đã đăng ký tiêm mũi {dose_number}. Xem thứ tự chờ thay vì đăng ký lại.",
        "en": "This person is already registered for dose {dose_number}. See their place in the queue instead.",
    },
    "already_booked": {
        "vi": "Người này đã có lịch tiêm ngày {day}. Đổi lịch đó thay vì đặt thêm.",
        "en": "This person already has an appointment on {day}. Move it instead of booking another.",
    },
    "outside_province": {
        "vi": "Cán bộ tỉnh chỉ làm việc trong tỉnh của mình ({actor_province}), không phải tỉnh {province}. Đăng nhập bằng tài khoản của tỉnh đó.",
        "en": "A province officer works only in their own province ({actor_province}), not in province {province}. Sign in as an officer of that province.",
    },
    "stock_quantity_invalid": {
        "vi": "Số lượng không hợp lệ ({value}): số liều, số lọ và số liều mỗi lọ là số nguyên dương, tính theo lọ nguyên. Đếm lại theo nhãn lọ.",
        "en": "That quantity is not valid ({value}): doses, vials and doses per vial are positive whole numbers, in whole vials. Count again from the vial label.",
    },
    "allocation_exceeds_store": {
        "vi": "Lô {lot_number} chỉ còn {available_vials} lọ ({available} liều) trong kho, ít hơn {asked_vials} lọ "
        "({asked} liều) muốn phân bổ. Phân bổ tối đa {available_vials} lọ.",
        "en": "Lot {lot_number} has only {available_vials} vials ({available} doses) left in the store, fewer than "
        "the {asked_vials} vials ({asked} doses) asked. Allocate at most {available_vials} vials.",
    },
    "stock_lot_expired": {
        "vi": "Lô {lot_number} đã hết hạn ngày {expiry}. Không nhận, không phân bổ, không tiêm lô này; ghi hủy do hết hạn.",
        "en": "Lot {lot_number} expired on {expiry}. Do not receive, allocate or use it; write it off as expired.",
    },
    "lot_exhausted": {
        "vi": "Lô {lot_number} tại điểm tiêm chỉ còn {available} liều, ít hơn {asked}. Ghi đúng lô đã dùng hoặc xin tỉnh phân bổ thêm.",
        "en": "Lot {lot_number} has {available} doses left at this site, fewer than {asked}. Record the lot actually used, or ask the province for more.",
    },
    "lot_not_expired": {
        "vi": "Lô {lot_number} còn dùng được đến ngày {expiry}. Chỉ ghi hủy do hết hạn sau ngày đó.",
        "en": "Lot {lot_number} is usable until {expiry}. Write it off as expired only after that day.",
    },
    "store_lot_not_found": {
        "vi": "Không có lô này trong kho của tỉnh. Kiểm tra mã lô hoặc nhập lô vào kho trước.",
        "en": "There is no such lot in the province store. Check the lot id, or receive the lot first.",
    },
    "allocation_other_province": {
        "vi": "Lô {lot_number} thuộc kho tỉnh {province}, còn điểm tiêm thuộc tỉnh {site_province}. Chỉ phân bổ cho điểm tiêm cùng tỉnh.",
        "en": "Lot {lot_number} is in the store of province {province}; the site is in province {site_province}. Allocate only to sites of the same province.",
    },
    "no_stock": {
        "vi": "{site} không còn vắc xin cho ngày {day}. Phân bổ lô vắc xin cho điểm tiêm rồi lập kế hoạch lại.",
        "en": "{site} has no vaccine in stock for {day}. Allocate a lot to the site, then plan again.",
    },
    "site_closed": {
        "vi": "{site} không làm việc ngày {day} (tạm dừng hoặc không phải ngày mở cửa). Chọn ngày khác.",
        "en": "{site} does not work on {day} (paused, or not an opening day). Choose another day.",
    },
    "session_unavailable": {
        "vi": "Buổi tiêm đã chọn ({session}, ngày {day}) vừa hết chỗ, đã hủy hoặc không có. Chọn buổi hoặc ngày khác.",
        "en": "The {session} session of {day} is full, cancelled or does not exist. Choose another.",
    },
    "registration_not_found": {
        "vi": "Không tìm thấy đăng ký hoặc kế hoạch tiêm này. Tải lại trang.",
        "en": "This registration or plan was not found. Reload the page.",
    },
    "appointment_not_found": {
        "vi": "Không tìm thấy lịch hẹn này. Tải lại danh sách.",
        "en": "This appointment was not found. Reload the list.",
    },
    "move_same_session": {
        "vi": "Đây đã là lịch hẹn hiện tại (ngày {day}). Chọn buổi hoặc ngày khác.",
        "en": "That is already the appointment (on {day}). Choose another session or day.",
    },
    "move_same_ward": {
        "vi": "Đăng ký này đã ở hàng chờ của {ward}. Chọn phường/xã hoặc điểm tiêm khác.",
        "en": "This registration already waits in {ward}. Choose another ward or site.",
    },
    "registration_closed": {
        "vi": "Đăng ký này đã kết thúc (đã tiêm hoặc đã rút) nên không chuyển được. Đăng ký lại nếu cần.",
        "en": "This registration is closed (given or withdrawn), so it cannot move. Register again if needed.",
    },
    "move_not_due": {
        "vi": "Mũi {dose_number} chưa đến hạn trước ngày {due_on}. Chọn ngày từ {due_on} trở đi.",
        "en": "Dose {dose_number} is not due before {due_on}. Choose {due_on} or a later day.",
    },
    "appointment_closed": {
        "vi": "Lịch hẹn này không còn hiệu lực (đã đến, đã tiêm, đã hủy hoặc vắng mặt) nên không đổi hay hủy "
        "được nữa. Tải lại trang để xem lịch hiện tại.",
        "en": "This appointment is no longer open (arrived, vaccinated, cancelled or missed), so it cannot be "
        "moved or cancelled. Reload the page to see the current one.",
    },
    "site_ward_other_province": {
        "vi": "Phường/xã {ward} thuộc tỉnh {ward_province}, không thuộc tỉnh {province}. Chọn một phường/xã trong "
        "tỉnh {province}.",
        "en": "Ward {ward} is in province {ward_province}, not in province {province}. Choose a ward of province "
        "{province}.",
    },
    "site_code_taken": {
        "vi": "Mã điểm tiêm {code} đã dùng cho {site}: chọn mã khác.",
        "en": "The site code {code} is already {site}'s: choose another code.",
    },
    "waiting_place_of_another_site": {
        "vi": "Người này đang chờ ở hàng đợi của điểm tiêm hoặc phường/xã khác. Đề nghị điểm tiêm đó hoặc cán bộ "
        "tỉnh chuyển hay hủy chỗ chờ.",
        "en": "This person waits in the queue of another site or ward. Ask that site or a province officer to "
        "move or withdraw the place.",
    },
    "opening_days_invalid": {
        "vi": "Điểm tiêm phải mở ít nhất một ngày trong tuần. Đánh dấu các ngày làm việc.",
        "en": "A site must open on at least one day of the week. Tick its opening days.",
    },
    "return_exceeds_sealed": {
        "vi": "Lô {lot_number} chỉ còn {sealed_vials} lọ chưa mở ({sealed} liều), ít hơn {asked_vials} lọ "
        "({asked} liều) muốn trả ({open} liều trong lọ đã mở không trả được). Trả tối đa {sealed_vials} lọ.",
        "en": "Lot {lot_number} has only {sealed_vials} unopened vials ({sealed} doses), fewer than the "
        "{asked_vials} vials ({asked} doses) returned ({open} doses in opened vials cannot be returned). Return "
        "at most {sealed_vials} vials.",
    },
    "return_without_store": {
        "vi": "Lô {lot_number} được nhận thẳng tại điểm tiêm, không phân bổ từ kho tỉnh nên không có kho để trả về.",
        "en": "Lot {lot_number} was received at the site, not allocated from a province store: there is no store "
        "to return it to.",
    },
    "attendance_not_open": {
        "vi": "Danh sách ngày {day} đã đóng hoặc không phải của hôm nay: chỉ ghi vắng mặt hay đến muộn trong "
        "chính ngày đó, trước khi đóng ngày.",
        "en": "The list of {day} is closed or not today's: no-shows and late arrivals are recorded on the day "
        "itself, before it is closed.",
    },
    "no_show_not_booked": {
        "vi": 'Chỉ ghi "không đến" cho người đã hẹn mà chưa đến; lịch này đã ở trạng thái khác. Tải lại danh '
        "sách.",
        "en": "Only a booked person who has not arrived can be marked as not come; this appointment is past "
        "that. Reload the list.",
    },
    "no_show_vaccinated_today": {
        "vi": "Người này đã được tiêm ngày {day} nên không thể ghi là không đến.",
        "en": "This person was vaccinated on {day}, so they cannot be marked as not come.",
    },
    "late_arrival_not_no_show": {
        "vi": 'Lịch hẹn này không ở trạng thái vắng mặt: hãy bấm "Đã đến" thay vì "Đến muộn".',
        "en": 'This appointment is not a no-show: use "Check in" instead of "Came late".',
    },
    "late_arrival_rebooked": {
        "vi": "Sau khi ghi vắng mặt, người này đã có lịch mới hoặc đăng ký đã thay đổi: ghi mũi tiêm hôm nay "
        "tại bàn tiêm.",
        "en": "Since the no-show this person was booked again or their registration changed: record today's "
        "dose at the desk.",
    },
    "message_not_found": {
        "vi": "Không tìm thấy tin nhắn này. Tải lại danh sách.",
        "en": "This message was not found. Reload the list.",
    },
    "sms_gateway_error": {
        "vi": "Cổng SMS không gửi được tin. Tin vẫn trong hàng đợi và sẽ được gửi lại.",
        "en": "The SMS gateway did not take the message. It stays in the outbox and will be retried.",
    },
    "sms_quiet_hours_invalid": {
        "vi": "Giờ yên lặng SMS {value} không đúng dạng GIỜ:PHÚT-GIỜ:PHÚT. Dùng ví dụ 21:00-07:00, hoặc off để tắt.",
        "en": "The SMS quiet hours {value} are not HH:MM-HH:MM. Use e.g. 21:00-07:00, or off.",
    },
    "sms_sender_shard_invalid": {
        "vi": "Phần hàng đợi {value} không đúng dạng I/N (0 ≤ I < N ≤ 16). Dùng ví dụ 0/2 và 1/2 cho hai tiến trình gửi.",
        "en": "The sender's part {value} is not I/N with 0 <= I < N <= 16. Use e.g. 0/2 and 1/2 for two senders.",
    },
    "sms_gateway_unavailable": {
        "vi": "Không kết nối được cổng SMS. Tin sẽ được gửi lại sau.",
        "en": "The SMS gateway cannot be reached. Messages will be retried later.",
    },
    "sms_gateway_refused": {
        "vi": "Cổng SMS từ chối tin hoặc chưa được cấu hình đúng. Báo quản trị hệ thống.",
        "en": "The SMS gateway refused the message or is not configured correctly. Tell the administrator.",
    },
}


# Not errors: the /verify page's verdict on an authentic certificate under Viet Nam's CertLogic rules
# (verifier/rulesets/VN, applied by verifier.acceptance); rule_* are RuleOutcome.reason codes.
VERDICT_MESSAGES: Final[dict[str, dict[str, str]]] = {
    "certificate_accepted": {
        "vi": "Xác thực — được chấp nhận: {level} theo quy tắc của {country}.",
        "en": "Authentic — accepted: {level} under the rules of {country}.",
    },
    "certificate_not_accepted_by_rules": {
        "vi": "Xác thực — không được chấp nhận: quy tắc {rule} ({description})",
        "en": "Authentic — not accepted: rule {rule} ({description})",
    },
    "certificate_missed_level": {
        "vi": "Chưa đạt {level}: quy tắc {rule} ({description})",
        "en": "Not a {level}: rule {rule} ({description})",
    },
    "card_green": {"vi": "thẻ xanh", "en": "green card"},
    "card_yellow": {"vi": "thẻ vàng", "en": "yellow card"},
    "rule_passed": {"vi": "đạt", "en": "passed"},
    "rule_failed": {"vi": "không đạt", "en": "failed"},
    "rule_raised": {
        "vi": "không đạt (quy tắc không tính được)",
        "en": "failed (the rule could not be evaluated)",
    },
    "rule_open": {"vi": "chưa quyết định", "en": "open (did not decide)"},
}

# The ledger names a text field in English (`what`); the Vietnamese sentence names it in Vietnamese.
FIELD_NAMES_VI: Final[dict[str, str]] = {
    "reason": "lý do",
    "symptoms": "triệu chứng",
    "vaccinator id": "mã người tiêm",
    "lot number": "số lô",
    "manufacturer": "nhà sản xuất",
    "site code": "mã điểm tiêm",
    "site name": "tên điểm tiêm",
}


def _value(value: object, lang: str = "vi") -> str:
    """A value as a message shows it: dates dd/mm/yyyy, whole numbers grouped as the language groups
    them (2.000 / 2,000), everything else as text."""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(quantity(value, lang))


def render(code: str, lang: str, params: dict[str, object]) -> str | None:
    """The catalog message of `code` in `lang` with the values filled in, or None (no such code, or a
    value the message needs is missing)."""
    entry = ERROR_MESSAGES.get(code)
    if entry is None:
        return None
    text = entry.get(lang) or entry["en"]
    values = {k: _value(v, lang) for k, v in params.items()}
    if lang == "vi" and "what" in values:
        values["what"] = FIELD_NAMES_VI.get(values["what"], values["what"])
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):
        return None


def message(error: BaseException, lang: str = "vi") -> str | None:
    """The error's sentence in `lang`: its own code's message, else the nearest parent class's that
    needs no missing value; None for an error that is not the project's."""
    params = params_of(error)
    for cls in type(error).__mro__:
        code = cls.__dict__.get("code")
        if isinstance(code, str):
            text = render(code, lang, params)
            if text is not None:
                return text
    return None


def verdict(code: str, lang: str, **params: object) -> str:
    """A sentence of VERDICT_MESSAGES in `lang` (English if `lang` is neither), its values filled in."""
    entry = VERDICT_MESSAGES[code]
    return (entry.get(lang) or entry["en"]).format(**{k: _value(v, lang) for k, v in params.items()})
