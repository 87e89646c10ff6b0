"""Every text the web app shows, in Vietnamese and English (a test checks both exist for each key)."""

from __future__ import annotations

CATALOG: dict[str, dict[str, str]] = {
    # the app and navigation
    "app.name": {"vi": "Tiêm chủng COVID-19", "en": "COVID-19 Immunization"},
    "app.footer": {
        "vi": "Sổ sức khỏe điện tử · dữ liệu cá nhân được mã hóa và không bao giờ hiển thị công khai.",
        "en": "Electronic health book · personal data is encrypted and never shown publicly.",
    },
    "nav.skip": {"vi": "Bỏ qua, đến nội dung chính", "en": "Skip to main content"},
    "nav.main": {"vi": "Điều hướng chính", "en": "Main navigation"},
    "nav.home": {"vi": "Trang chủ", "en": "Home"},
    "nav.back": {"vi": "Quay lại", "en": "Back"},
    "nav.statistics": {"vi": "Số liệu tiêm chủng", "en": "Vaccination statistics"},
    "nav.verify": {"vi": "Kiểm tra chứng nhận", "en": "Check a certificate"},
    "nav.health_book": {"vi": "Sổ sức khỏe", "en": "Health book"},
    "nav.desk": {"vi": "Bàn tiêm", "en": "Vaccination desk"},
    "nav.province": {"vi": "Tỉnh", "en": "Province"},
    "nav.operations": {"vi": "Trung tâm điều hành", "en": "Response center"},
    "nav.audit": {"vi": "Kiểm toán", "en": "Audit"},
    "nav.signin": {"vi": "Đăng nhập", "en": "Sign in"},
    "nav.signout": {"vi": "Đăng xuất", "en": "Sign out"},
    "lang.vi": {"vi": "Tiếng Việt", "en": "Tiếng Việt"},
    "lang.en": {"vi": "English", "en": "English"},
    "role.citizen": {"vi": "Người dân", "en": "Citizen"},
    "role.staff": {"vi": "Nhân viên điểm tiêm", "en": "Site staff"},
    "role.province": {"vi": "Cán bộ tỉnh", "en": "Province officer"},
    "role.response": {"vi": "Trung tâm điều hành", "en": "Response center"},
    "role.auditor": {"vi": "Kiểm toán viên", "en": "Auditor"},
    # home
    "home.title": {"vi": "Chiến dịch tiêm chủng COVID-19", "en": "COVID-19 vaccination campaign"},
    "home.intro": {
        "vi": "Xem sổ sức khỏe của bạn và gia đình, tải chứng nhận tiêm chủng, xem số liệu công khai.",
        "en": "See your and your family's health book, download vaccination certificates, see public figures.",
    },
    "home.citizen": {"vi": "Người dân", "en": "Citizens"},
    "home.citizen_text": {
        "vi": "Đăng nhập bằng số điện thoại để xem sổ sức khỏe và chứng nhận.",
        "en": "Sign in with your phone number to see your health book and certificates.",
    },
    "home.stats_text": {
        "vi": "Số mũi tiêm theo ngày, tỉnh, vắc xin và nhóm ưu tiên.",
        "en": "Doses by day, province, vaccine and priority group.",
    },
    "home.verify_text": {
        "vi": "Tải ảnh mã QR hoặc dán chuỗi HC1.",
        "en": "Upload a QR picture or paste an HC1 string.",
    },
    "home.staff": {"vi": "Cán bộ y tế", "en": "Health staff"},
    "home.staff_text": {
        "vi": "Đăng nhập bằng tài khoản được cấp.",
        "en": "Sign in with the account you were given.",
    },
    "home.offline": {"vi": "Kiểm tra ngoại tuyến", "en": "Offline verification"},
    "home.offline_text": {
        "vi": "Máy kiểm tra cần danh sách tin cậy, chứng thư gốc và danh sách thu hồi:",
        "en": "Offline verifiers need the trust list, the trust anchor and the revocation list:",
    },
    "home.trust_list": {"vi": "Danh sách tin cậy (đã ký)", "en": "Trust list (signed)"},
    "home.trust_anchor": {
        "vi": "Chứng thư gốc quốc gia (CSCA)",
        "en": "Country signing CA certificate (CSCA)",
    },
    "home.revocation_list": {"vi": "Danh sách thu hồi (đã ký)", "en": "Revocation list (signed)"},
    "home.api": {"vi": "Mô tả API (OpenAPI)", "en": "API description (OpenAPI)"},
    "api.title": {"vi": "API của nền tảng tiêm chủng", "en": "The immunization platform's API"},
    "api.intro": {
        "vi": "Các trang web và ứng dụng dùng chung API JSON này. Mỗi nhóm dưới đây ghi ai được gọi.",
        "en": "The web pages and apps share this JSON API. Each group below says who may call it.",
    },
    "api.raw": {"vi": "Tệp OpenAPI (JSON)", "en": "The OpenAPI file (JSON)"},
    "api.how": {"vi": "Cách gọi API", "en": "How to call the API"},
    "api.how_session": {
        "vi": "Đăng nhập qua /api/v1/auth/…; phiên được giữ trong cookie.",
        "en": "Sign in through /api/v1/auth/…; the session is kept in a cookie.",
    },
    "api.how_csrf": {
        "vi": "Lệnh ghi (POST) cần tiêu đề X-CSRFToken lấy từ GET /api/v1/session.",
        "en": "Writes (POST) need the X-CSRFToken header from GET /api/v1/session.",
    },
    "api.how_errors": {
        "vi": "Lỗi trả về JSON {error, message, detail}; message theo ngôn ngữ của người gọi (Accept-Language).",
        "en": "Errors come as JSON {error, message, detail}; the message is in the caller's language (Accept-Language).",
    },
    "api.body": {"vi": "Nội dung gửi", "en": "Body"},
    "api.csrf_needed": {"vi": "cần X-CSRFToken", "en": "needs X-CSRFToken"},
    "api.answers": {"vi": "Mã trả về", "en": "Answers"},
    "api.role_public": {"vi": "Ai cũng gọi được", "en": "Anyone"},
    "api.role_any": {"vi": "Mọi người đã đăng nhập", "en": "Anyone signed in"},
    "api.role_citizen": {"vi": "Người dân", "en": "Citizens"},
    "api.role_staff": {"vi": "Nhân viên điểm tiêm", "en": "Site staff"},
    "api.role_province": {"vi": "Cán bộ tỉnh", "en": "Province officers"},
    "api.role_response": {"vi": "Trung tâm điều hành", "en": "Response center"},
    "api.role_auditor": {"vi": "Kiểm toán viên", "en": "Auditors"},
    # sign-in
    "signin.title": {"vi": "Đăng nhập", "en": "Sign in"},
    "signin.citizen_text": {
        "vi": "Nhận mã một lần qua tin nhắn.",
        "en": "Get a one-time code by text message.",
    },
    "signin.staff_text": {"vi": "Tên đăng nhập và mật khẩu.", "en": "Username and password."},
    "signin.citizen_title": {"vi": "Đăng nhập bằng số điện thoại", "en": "Sign in with your phone number"},
    "signin.phone_help": {
        "vi": "Số di động Việt Nam, ví dụ 0912 345 678.",
        "en": "A Vietnamese mobile number, e.g. 0912 345 678.",
    },
    "signin.send_code": {"vi": "Gửi mã", "en": "Send code"},
    "signin.code_title": {"vi": "Nhập mã xác thực", "en": "Enter your code"},
    "signin.code_sent": {
        "vi": "Chúng tôi đã gửi mã 6 chữ số đến điện thoại của bạn. Mã có hiệu lực 5 phút.",
        "en": "We sent a 6-digit code to your phone. It is valid for 5 minutes.",
    },
    "signin.confirm": {"vi": "Xác nhận", "en": "Confirm"},
    "signin.new_code": {"vi": "Gửi lại mã mới", "en": "Send a new code"},
    "signin.staff_title": {"vi": "Đăng nhập cán bộ", "en": "Staff sign-in"},
    "phone_change.code": {
        "vi": "Mã xác nhận đổi số điện thoại trên sổ sức khỏe: {code}. Hiệu lực {minutes} phút. "
        "Chỉ đọc mã này cho nhân viên y tế đang tiếp bạn.",
        "en": "Code to confirm the new phone number of a health book: {code}. Valid {minutes} minutes. "
        "Read it only to the health worker in front of you.",
    },
    "phone_change.old_number": {
        "vi": "Số điện thoại này vừa được thay bằng số khác trên sổ sức khỏe điện tử. "
        "Nếu không phải bạn yêu cầu, hãy báo ngay cho trạm y tế.",
        "en": "This phone number was just replaced by another on an electronic health book. "
        "If you did not ask for this, tell your health station at once.",
    },
    "phone_change.sent": {
        "vi": "Đã gửi mã xác nhận tới số mới {phone}. Nhập mã người dân đọc cho bạn.",
        "en": "A confirmation code was sent to the new number {phone}. Enter the code the person reads to you.",
    },
    "phone_change.code_label": {"vi": "Mã xác nhận", "en": "Confirmation code"},
    "phone_change.confirm": {"vi": "Xác nhận đổi số", "en": "Confirm the new number"},
    "error.phone_change_missing": {
        "vi": "Không có yêu cầu đổi số nào đang chờ. Hãy nhập lại số mới.",
        "en": "No phone change is waiting. Enter the new number again.",
    },
    "audit.reads_title": {"vi": "Nhân viên xem sổ sức khỏe", "en": "Staff reads of health books"},
    "audit.reads_when": {"vi": "Thời điểm (giờ Việt Nam)", "en": "When (Viet Nam time)"},
    "audit.reads_who": {"vi": "Nhân viên", "en": "Staff member"},
    "audit.reads_role": {"vi": "Vai trò", "en": "Role"},
    "audit.reads_site": {"vi": "Điểm tiêm", "en": "Site"},
    "audit.reads_person": {"vi": "Người được xem", "en": "Person read"},
    "audit.lookups_title": {
        "vi": "Nhân viên tra cứu theo số CCCD, số điện thoại hoặc mã QR chứng nhận",
        "en": "Staff lookups by national ID, phone number or certificate QR",
    },
    "audit.lookups_number": {
        "vi": "Ai đã tra cứu số này? (CCCD, số điện thoại hoặc mã chứng nhận UVCI; số không được lưu)",
        "en": "Who looked up this number? (national ID, phone or certificate UVCI; numbers are not stored)",
    },
    "audit.lookups_of_number": {"vi": "Các lần tra cứu số đã nhập:", "en": "Lookups of the number typed:"},
    "audit.lookups_kind": {"vi": "Tra cứu theo", "en": "Looked up by"},
    "audit.lookups_found": {"vi": "Số người tìm thấy", "en": "People found"},
    "audit.lookup_national_id": {"vi": "Số CCCD", "en": "National ID"},
    "audit.lookup_phone": {"vi": "Số điện thoại", "en": "Phone number"},
    "audit.lookup_certificate": {"vi": "Mã QR chứng nhận", "en": "Certificate QR"},
    "otp.message": {
        "vi": "Mã xác thực tiêm chủng của bạn: {code}. Hiệu lực {minutes} phút. Không chia sẻ mã này.",
        "en": "Your immunization sign-in code: {code}. Valid {minutes} minutes. Do not share it.",
    },
    # fields
    "field.phone": {"vi": "Số điện thoại", "en": "Phone number"},
    "field.code": {"vi": "Mã xác thực", "en": "Code"},
    "field.username": {"vi": "Tên đăng nhập", "en": "Username"},
    "field.password": {"vi": "Mật khẩu", "en": "Password"},
    "field.full_name": {"vi": "Họ và tên", "en": "Full name"},
    "field.date_of_birth": {"vi": "Ngày sinh", "en": "Date of birth"},
    "field.date_of_birth_help": {
        "vi": "Ngày/tháng/năm, ví dụ 03/02/1990; nếu chỉ biết năm sinh, nhập năm (1990).",
        "en": "Day/month/year, e.g. 03/02/1990; if only the year is known, type the year (1990).",
    },
    "field.date_placeholder": {"vi": "dd/mm/yyyy", "en": "dd/mm/yyyy"},
    "field.date_help": {"vi": "Ngày/tháng/năm, ví dụ 30/08/2021.", "en": "Day/month/year, e.g. 30/08/2021."},
    "field.generic": {"vi": "một mục bắt buộc", "en": "a required field"},
    "field.relationship": {"vi": "Quan hệ với bạn", "en": "Relationship to you"},
    "relationship.child": {"vi": "Con", "en": "Child"},
    "relationship.parent": {"vi": "Cha/mẹ", "en": "Parent"},
    "relationship.grandparent": {"vi": "Ông/bà", "en": "Grandparent"},
    "relationship.spouse": {"vi": "Vợ/chồng", "en": "Spouse"},
    "relationship.other": {"vi": "Khác", "en": "Other"},
    "field.address": {"vi": "Nơi ở hiện tại", "en": "Where the person lives"},
    "field.address_help": {
        "vi": "Chọn tỉnh/thành phố, rồi quận/huyện, rồi phường/xã. Có thể gõ tên để tìm (không cần dấu).",
        "en": "Choose the province, then the district, then the ward. Type a name to search (accents optional).",
    },
    "field.address_noscript": {
        "vi": "Sau khi chọn tỉnh hoặc quận/huyện, bấm nút dưới đây để hiện danh sách tiếp theo.",
        "en": "After choosing a province or district, press the button below to show the next list.",
    },
    "field.address_next": {"vi": "Hiện danh sách tiếp theo", "en": "Show the next list"},
    "field.search": {"vi": "Gõ để tìm…", "en": "Type to search…"},
    "field.search_in": {"vi": "Tìm trong danh sách {what}", "en": "Search the {what} list"},
    "field.choose_province": {"vi": "— Chọn tỉnh/thành phố —", "en": "— Choose a province —"},
    "field.choose_district": {"vi": "— Chọn quận/huyện —", "en": "— Choose a district —"},
    "field.choose_ward": {"vi": "— Chọn phường/xã —", "en": "— Choose a ward —"},
    "field.district": {"vi": "Quận/huyện", "en": "District"},
    "field.ward": {"vi": "Phường/xã", "en": "Ward or commune"},
    "field.province_code": {"vi": "Tỉnh/thành phố", "en": "Province"},
    "field.district_code": {"vi": "Quận/huyện", "en": "District"},
    "field.lot_id": {"vi": "Lô vắc xin", "en": "Vaccine lot"},
    "field.given_on": {"vi": "Ngày tiêm", "en": "Date given"},
    "field.dose_id": {"vi": "Mũi tiêm", "en": "Dose"},
    "field.reason": {"vi": "Lý do", "en": "Reason"},
    "field.value": {"vi": "Giá trị đúng", "en": "Correct value"},
    "field.field": {"vi": "Sửa gì", "en": "What to correct"},
    "field.travel": {"vi": "Nơi đã đến", "en": "Places visited"},
    "field.idempotency_key": {"vi": "Mã biểu mẫu", "en": "Form key"},
    "field.sex": {"vi": "Giới tính", "en": "Sex"},
    "field.national_id": {"vi": "Số CCCD/CMND", "en": "National ID number"},
    "field.optional": {"vi": "không bắt buộc", "en": "optional"},
    "field.ward_code": {"vi": "Phường/xã", "en": "Ward or commune"},
    "field.priority_group": {"vi": "Nhóm ưu tiên", "en": "Priority group"},
    "field.vaccine": {"vi": "Vắc xin", "en": "Vaccine"},
    "field.product": {"vi": "Vắc xin", "en": "Vaccine"},
    "field.lot": {"vi": "Lô vắc xin", "en": "Vaccine lot"},
    "field.site": {"vi": "Điểm tiêm", "en": "Site"},
    "field.date": {"vi": "Ngày tiêm", "en": "Date given"},
    "field.dose": {"vi": "Mũi tiêm", "en": "Dose"},
    "field.dose_number": {"vi": "Mũi số", "en": "Dose number"},
    "field.dose_unknown": {"vi": "Không rõ mũi nào", "en": "Not sure which dose"},
    "field.onset": {"vi": "Ngày bắt đầu triệu chứng", "en": "Onset date"},
    "field.symptoms": {"vi": "Triệu chứng", "en": "Symptoms"},
    "field.severity": {"vi": "Mức độ", "en": "Severity"},
    "field.status": {"vi": "Trạng thái", "en": "Status"},
    "field.province": {"vi": "Tỉnh/thành phố", "en": "Province"},
    "sex.female": {"vi": "Nữ", "en": "Female"},
    "sex.male": {"vi": "Nam", "en": "Male"},
    "sex.other": {"vi": "Khác", "en": "Other"},
    "severity.mild": {"vi": "Nhẹ", "en": "Mild"},
    "severity.moderate": {"vi": "Trung bình", "en": "Moderate"},
    "severity.serious": {"vi": "Nặng", "en": "Serious"},
    "relation.self": {"vi": "Bản thân", "en": "You"},
    "relation.dependant": {"vi": "Người phụ thuộc", "en": "Dependant"},
    "relation.": {"vi": "", "en": ""},
    "status.green": {"vi": "Thẻ xanh", "en": "Green"},
    "status.yellow": {"vi": "Thẻ vàng", "en": "Yellow"},
    "status.none": {"vi": "Chưa tiêm", "en": "Not vaccinated"},
    "status.green_text": {"vi": "Đã tiêm đủ liều cơ bản.", "en": "Primary series complete."},
    "status.yellow_text": {"vi": "Đã tiêm, chưa đủ liều cơ bản.", "en": "Partly vaccinated."},
    "status.none_text": {"vi": "Chưa có mũi tiêm nào.", "en": "No dose recorded yet."},
    "form.send": {"vi": "Gửi", "en": "Submit"},
    "notice.someone": {"vi": "người này", "en": "this person"},
    "done.registered_self": {
        "vi": "Đã đăng ký {name}. Sổ sức khỏe đã sẵn sàng.",
        "en": "{name} is registered. The health book is ready.",
    },
    "certificate.get": {"vi": "Lấy chứng nhận", "en": "Get the certificate"},
    "certificate.get_help": {
        "vi": "Chưa có chứng nhận cho hồ sơ hiện tại. Bấm nút để được cấp chứng nhận có mã QR.",
        "en": "There is no certificate for the current record yet. Press the button to have one issued with its QR code.",
    },
    "book.id_pending": {
        "vi": "Số CCCD/CMND đã khai đang chờ xác nhận: hãy mang thẻ khi đi tiêm. Nếu trước đây bạn đã được đăng ký "
        "tại điểm tiêm với số này, nhân viên sẽ gộp hai hồ sơ và bạn đăng nhập bằng số điện thoại này sẽ thấy "
        "hồ sơ đó: mũi tiêm, người phụ thuộc và thứ tự chờ được giữ nguyên.",
        "en": "The ID number you typed waits for confirmation: bring the card to your vaccination. If you were "
        "registered at a site with this number before, staff will join the two records and this phone will "
        "show that record: your doses, dependants and place in the queue are kept.",
    },
    "done.registered_held": {
        "vi": "Đã đăng ký {name}. Sổ sức khỏe đã sẵn sàng. Hãy mang CCCD/CMND khi đi tiêm lần đầu: "
        "nhân viên y tế sẽ xác nhận số giấy tờ. Nếu trước đây bạn đã được đăng ký tại điểm tiêm với số này, "
        "nhân viên sẽ gộp hai hồ sơ: mũi tiêm, người phụ thuộc và thứ tự chờ của bạn được giữ nguyên.",
        "en": "{name} is registered. The health book is ready. Please bring your ID card to your first "
        "vaccination: staff will confirm the ID number. If you were registered at a site with this number "
        "before, staff will join the two records: your doses, dependants and place in the queue are kept.",
    },
    "desk.held_id": {
        "vi": "Số giấy tờ người dân tự khai, chờ đối chiếu với CCCD/CMND: {number}",
        "en": "ID number the person typed, waiting to be checked against the card: {number}",
    },
    "desk.confirm_id": {"vi": "Đã xem thẻ: xác nhận số giấy tờ", "en": "Card seen: confirm the ID number"},
    "done.dependant": {
        "vi": "Đã thêm {name} vào gia đình của bạn.",
        "en": "{name} was added to your family.",
    },
    "done.registered_desk": {
        "vi": "Đã đăng ký {name}. Có thể ghi nhận mũi tiêm.",
        "en": "{name} is registered. You can record a dose now.",
    },
    "done.erased": {
        "vi": "Đã xoá dữ liệu cá nhân của người này.",
        "en": "This person's personal data was erased.",
    },
    "privacy.title": {"vi": "Tra cứu và xoá dữ liệu cá nhân", "en": "Find a person, erase personal data"},
    "privacy.find": {"vi": "Tìm", "en": "Find"},
    "privacy.doses": {"vi": "Số mũi đã tiêm", "en": "Doses given"},
    "privacy.erase": {"vi": "Xoá dữ liệu cá nhân", "en": "Erase personal data"},
    "privacy.erase_warning": {
        "vi": "Tên, số giấy tờ, ngày sinh và số điện thoại sẽ bị xoá vĩnh viễn; số liệu mũi tiêm vẫn được giữ.",
        "en": "Name, ID number, date of birth and phone are destroyed for good; dose counts are kept.",
    },
    "privacy.reason": {"vi": "Lý do (số văn bản yêu cầu)", "en": "Reason (the request's reference)"},
    "privacy.confirm": {
        "vi": "Tôi hiểu việc xoá không thể hoàn tác.",
        "en": "I understand this cannot be undone.",
    },
    "privacy.erased": {
        "vi": "Dữ liệu cá nhân của người này đã bị xoá.",
        "en": "This person's personal data has been erased.",
    },
    "error.erase_confirm": {
        "vi": "Hãy đánh dấu ô xác nhận để xoá.",
        "en": "Tick the confirmation box to erase.",
    },
    "error.erase_reason": {
        "vi": "Hãy ghi lý do xoá (số văn bản yêu cầu).",
        "en": "Give the reason for the erasure (the request's reference).",
    },
    "done.dose": {"vi": "Đã ghi nhận mũi {number} cho {name}.", "en": "Dose {number} recorded for {name}."},
    "done.reaction": {
        "vi": "Đã ghi nhận phản ứng sau tiêm của {name}.",
        "en": "The reaction of {name} is recorded.",
    },
    "done.declaration": {
        "vi": "Đã nhận khai báo y tế của {name}.",
        "en": "The health declaration of {name} is received.",
    },
    "done.joined": {
        "vi": "Đã gộp đăng ký trực tuyến vào hồ sơ của {name}: người dân đăng nhập bằng số điện thoại của mình sẽ thấy hồ sơ này.",
        "en": "The online registration is joined to {name}'s record: the citizen's phone now signs in to it.",
    },
    "done.correction": {"vi": "Đã sửa hồ sơ của {name}.", "en": "The record of {name} is corrected."},
    "done.dose_voided": {
        "vi": "Đã hủy mũi tiêm ghi nhầm của {name}: mũi đó không còn trong sổ sức khỏe.",
        "en": "The mistaken dose of {name} is voided: it is no longer in the health book.",
    },
    # citizen
    "citizen.no_record": {
        "vi": "Chưa có hồ sơ nào gắn với số điện thoại này. Bạn có thể tự đăng ký.",
        "en": "No record is linked to this phone number yet. You can register yourself.",
    },
    "citizen.register": {"vi": "Đăng ký bản thân", "en": "Register yourself"},
    "citizen.add_dependant": {"vi": "Thêm người phụ thuộc", "en": "Add a dependant"},
    "citizen.doses": {"vi": "{count} mũi", "en": "{count} doses"},
    "citizen.doses_one": {"vi": "{count} mũi", "en": "{count} dose"},
    "book.doses": {"vi": "Các mũi đã tiêm", "en": "Doses given"},
    "book.no_doses": {"vi": "Chưa có mũi tiêm nào.", "en": "No dose recorded yet."},
    "book.mixed": {"vi": "tiêm trộn", "en": "mixed"},
    "book.log_proof": {
        "vi": "Bằng chứng mũi tiêm có trong sổ công khai (tải về)",
        "en": "Proof that this record is in the public log (download)",
    },
    "book.reactions": {"vi": "Phản ứng sau tiêm", "en": "Reactions after a dose"},
    "book.certificate": {"vi": "Chứng nhận tiêm chủng", "en": "Vaccination certificate"},
    "book.report_reaction": {"vi": "Báo phản ứng sau tiêm", "en": "Report a reaction"},
    "book.declare": {"vi": "Khai báo y tế", "en": "Health declaration"},
    "declare.symptoms": {
        "vi": "Triệu chứng (sốt, ho, khó thở…), để trống nếu không có",
        "en": "Symptoms (fever, cough, breathlessness…), empty if none",
    },
    "declare.exposure": {
        "vi": "Có tiếp xúc với người nhiễm trong 14 ngày qua",
        "en": "In contact with an infected person in the last 14 days",
    },
    "declare.travel": {"vi": "Nơi đã đến trong 14 ngày qua", "en": "Places visited in the last 14 days"},
    "declare.intro": {
        "vi": "Khai báo trước khi đến điểm tiêm; nhân viên điểm tiêm sẽ xem trước khi tiêm.",
        "en": "Declare before you go to the site; the site staff read it before giving a dose.",
    },
    "declare.no_symptoms": {"vi": "Không có triệu chứng", "en": "No symptoms"},
    "declare.no_travel": {"vi": "Không đi đâu", "en": "Nowhere"},
    "declare.none": {"vi": "không có", "en": "none"},
    "declare.nowhere": {"vi": "không đi đâu", "en": "nowhere"},
    "declare.has_symptoms": {"vi": "có triệu chứng", "en": "symptoms"},
    "declare.had_contact": {"vi": "có tiếp xúc F0", "en": "contact with a case"},
    "book.declarations": {"vi": "Khai báo y tế", "en": "Health declarations"},
    "book.no_declarations": {"vi": "Chưa có khai báo y tế nào.", "en": "No health declaration yet."},
    "citizen.dependant_intro": {
        "vi": "Người phụ thuộc (con, cha mẹ, ông bà…) dùng chung số điện thoại của bạn.",
        "en": "A dependant (child, parent, grandparent…) shares your phone number.",
    },
    "book.certificates": {"vi": "Các chứng nhận đã cấp", "en": "Certificates issued"},
    "cert.dose_of": {"vi": "Mũi {number}/{total}", "en": "Dose {number}/{total}"},
    "cert.issued_on": {"vi": "cấp ngày {day}", "en": "issued {day}"},
    "cert.current": {"vi": "mới nhất", "en": "latest"},
    "cert.still_valid": {"vi": "vẫn còn hiệu lực", "en": "still valid"},
    "cert.newer_exists": {
        "vi": "Đã có chứng nhận mới hơn sau mũi tiêm tiếp theo; bản đã in trước đây vẫn dùng được.",
        "en": "A newer certificate exists after a later dose; a copy you printed earlier still works.",
    },
    "cert.revoked": {"vi": "đã thu hồi", "en": "revoked"},
    "cert.revoked_on": {"vi": "Thu hồi ngày {day}.", "en": "Revoked on {day}."},
    "cert.reason_corrected": {
        "vi": "Lý do: thông tin trên chứng nhận đã được sửa (họ tên, ngày sinh hoặc một mũi ghi nhầm). "
        "Hãy dùng chứng nhận mới nhất.",
        "en": "Reason: the record it was made from was corrected (name, date of birth or a dose entered "
        "by mistake). Use the latest certificate.",
    },
    "cert.reason": {"vi": "Lý do: {reason}", "en": "Reason: {reason}"},
    "cert.qr_alt": {"vi": "Mã QR chứng nhận tiêm chủng", "en": "Vaccination certificate QR code"},
    "cert.uci": {"vi": "Mã chứng nhận", "en": "Certificate identifier"},
    "cert.png": {"vi": "Tải mã QR (PNG)", "en": "Download QR (PNG)"},
    "cert.svg": {"vi": "Tải mã QR (SVG)", "en": "Download QR (SVG)"},
    "cert.pdf": {"vi": "Tải chứng nhận (PDF)", "en": "Download certificate (PDF)"},
    # verification
    "verify.picture": {"vi": "Ảnh mã QR (PNG hoặc JPEG)", "en": "QR picture (PNG or JPEG)"},
    "verify.paste": {"vi": "Hoặc dán chuỗi HC1:", "en": "Or paste the HC1: text"},
    "verify.check": {"vi": "Kiểm tra", "en": "Check"},
    "verify.valid": {"vi": "Chứng nhận hợp lệ", "en": "Valid certificate"},
    "verify.not_accepted": {
        "vi": "Chứng nhận xác thực nhưng không được chấp nhận",
        "en": "Authentic certificate, not accepted",
    },
    "verify.rules": {"vi": "Quy tắc của Việt Nam", "en": "Viet Nam's rules"},
    "verify.invalid": {"vi": "Chứng nhận không hợp lệ", "en": "Certificate not valid"},
    "reason.prefix": {"vi": "Đây không phải chứng nhận HC1.", "en": "This is not an HC1 certificate."},
    "reason.base45": {"vi": "Nội dung mã bị hỏng.", "en": "The code's content is damaged."},
    "reason.compression": {"vi": "Nội dung mã bị hỏng.", "en": "The code's content is damaged."},
    "reason.cbor": {"vi": "Nội dung mã bị hỏng.", "en": "The code's content is damaged."},
    "reason.cose": {"vi": "Chữ ký của mã bị hỏng.", "en": "The code's signature block is damaged."},
    "reason.unknown_kid": {
        "vi": "Chứng nhận được ký bởi khóa không có trong danh sách tin cậy.",
        "en": "Signed by a key that is not in the trust list.",
    },
    "reason.signature": {
        "vi": "Chữ ký không đúng: chứng nhận đã bị sửa hoặc giả mạo.",
        "en": "The signature does not match: altered or forged.",
    },
    "reason.not_yet_valid": {"vi": "Chứng nhận chưa có hiệu lực.", "en": "The certificate is not valid yet."},
    "reason.expired": {"vi": "Chứng nhận đã hết hạn.", "en": "The certificate has expired."},
    "reason.key_usage": {
        "vi": "Khóa ký không được phép ký loại chứng nhận này.",
        "en": "The signing key may not sign this kind of certificate.",
    },
    "reason.schema": {
        "vi": "Nội dung chứng nhận không đúng định dạng.",
        "en": "The certificate's content is not in the expected format.",
    },
    "reason.revoked": {"vi": "Chứng nhận đã bị thu hồi.", "en": "The certificate has been revoked."},
    "reason.trust_list": {"vi": "Danh sách tin cậy không dùng được.", "en": "The trust list cannot be used."},
    # staff desk
    "desk.by_id": {"vi": "Tìm theo số CCCD/CMND", "en": "Find by national ID"},
    "desk.by_qr": {"vi": "Tìm theo mã QR", "en": "Find by QR code"},
    "desk.by_phone": {"vi": "Tìm theo số điện thoại", "en": "Find by phone number"},
    "desk.by_phone_help": {
        "vi": "Người đăng ký bằng số này và người phụ thuộc của họ (trẻ em chưa có CCCD).",
        "en": "The people registered with this number and their dependants (children without an ID card).",
    },
    "desk.found": {"vi": "{count} người dùng số này", "en": "{count} people use this number"},
    "desk.declared_found": {
        "vi": "Số giấy tờ do người dân tự khai khi đăng ký trực tuyến, chưa xác nhận ({count} người)",
        "en": "ID declared online, not yet confirmed ({count} people)",
    },
    "desk.declared_help": {
        "vi": "Hãy xem CCCD/CMND trước khi tiêm, rồi bấm “Đã xem thẻ: xác nhận số giấy tờ” trên trang của người đó. "
        "Nếu nhiều người cùng khai số này, chỉ xác nhận cho đúng chủ thẻ. Không đăng ký người mới.",
        "en": "Check the ID card before the dose, then press “Card seen: confirm the ID number” on the person's page. "
        "If several people declared this number, confirm it only for the card's owner. Do not register them again.",
    },
    "desk.same_number_registered": {
        "vi": "Số này đã được đăng ký tại điểm tiêm cho {name} (sinh {born}). Nếu CCCD là của người này, hãy gộp "
        "đăng ký trực tuyến vào hồ sơ đó: số điện thoại, người phụ thuộc, khai báo y tế và thứ tự chờ được chuyển "
        "sang, hồ sơ trực tuyến được đóng.",
        "en": "This number is already registered at a site for {name} (born {born}). If the card is theirs, join "
        "this online registration to that record: the phone, dependants, health declarations and place in the "
        "queue move there, and the online record is closed.",
    },
    "desk.join_button": {
        "vi": "Đã xem thẻ: gộp vào hồ sơ đã đăng ký",
        "en": "Card seen: join to the registered record",
    },
    "desk.open_registered": {"vi": "Mở hồ sơ đã đăng ký", "en": "Open the registered record"},
    "desk.same_number_online": {
        "vi": "{count} đăng ký trực tuyến khác cũng khai số giấy tờ này (chưa xác nhận). Mở đăng ký đó, xem thẻ "
        "rồi gộp vào hồ sơ này nếu là cùng một người.",
        "en": "{count} online registrations also typed this ID number (not confirmed). Open it, check the card, "
        "and join it to this record if it is the same person.",
    },
    "desk.declared_badge": {"vi": "Chưa xác nhận", "en": "Not confirmed"},
    "desk.id_missing_hint": {
        "vi": "Người dân đã tự đăng ký trực tuyến? Hãy tìm theo số điện thoại họ đã dùng trước khi đăng ký mới.",
        "en": "Did they register online? Find them by the phone number they used before registering them anew.",
    },
    "desk.register": {"vi": "Đăng ký người mới", "en": "Register a new person"},
    "desk.phone_help": {
        "vi": "Không bắt buộc: số này dùng để người dân đăng nhập xem sổ sức khỏe.",
        "en": "Optional: the number the person signs in with to see their health book.",
    },
    "desk.find": {"vi": "Tìm", "en": "Find"},
    "desk.declarations_elsewhere": {
        "vi": "Người này có lịch hẹn ở điểm tiêm khác: khai báo y tế được gửi đến điểm tiêm đó.",
        "en": "This person is booked at another site: their health declarations go to that site.",
    },
    "desk.record_dose": {"vi": "Ghi nhận mũi tiêm", "en": "Record a dose"},
    "desk.no_lots": {
        "vi": "Điểm tiêm chưa có lô vắc xin còn hạn.",
        "en": "This site holds no unexpired lot.",
    },
    "desk.correct": {"vi": "Sửa hồ sơ", "en": "Correct the record"},
    "desk.what": {"vi": "Sửa gì", "en": "What to correct"},
    "desk.new_value": {"vi": "Giá trị đúng", "en": "Correct value"},
    "desk.reason": {"vi": "Lý do", "en": "Reason"},
    "desk.next_person": {"vi": "Người tiếp theo", "en": "Next person"},
    "correct.full_name": {"vi": "Họ tên", "en": "Name"},
    "correct.sex": {"vi": "Giới tính (nữ, nam hoặc khác)", "en": "Sex (female, male or other)"},
    "correct.date_of_birth": {"vi": "Ngày sinh", "en": "Date of birth"},
    "correct.phone": {"vi": "Số điện thoại", "en": "Phone"},
    "correct.void_dose": {"vi": "Hủy một mũi ghi nhầm", "en": "Void a dose recorded by mistake"},
    # province, operations, audit
    "province.sites": {"vi": "Điểm tiêm", "en": "Sites"},
    "province.lots": {"vi": "Lô vắc xin", "en": "Vaccine lots"},
    "province.code": {"vi": "Mã", "en": "Code"},
    "province.capacity": {"vi": "Công suất/ngày", "en": "Capacity/day"},
    "province.expiry": {"vi": "Hạn dùng", "en": "Expiry"},
    "province.quantity": {"vi": "Số liều", "en": "Doses"},
    "province.expired": {"vi": "hết hạn", "en": "expired"},
    "province.near_expiry": {"vi": "sắp hết hạn", "en": "near expiry"},
    "ops.refresh": {
        "vi": "Tự cập nhật mỗi {seconds} giây.",
        "en": "Refreshes itself every {seconds} seconds.",
    },
    "ops.lag": {"vi": "Độ trễ dữ liệu", "en": "How current the figures are"},
    "ops.projection": {"vi": "Bảng tổng hợp", "en": "Summary"},
    "ops.behind": {"vi": "Số sự kiện chưa xử lý", "en": "Events behind"},
    "ops.targets": {"vi": "Tiến độ so với mục tiêu", "en": "Progress against targets"},
    "ops.target": {"vi": "Mục tiêu", "en": "Target"},
    "ops.goal": {"vi": "Chỉ tiêu", "en": "Goal"},
    "ops.progress": {"vi": "Đạt", "en": "Reached"},
    "ops.stock": {"vi": "Tồn kho và hạn dùng", "en": "Stock and expiry"},
    "ops.serious": {"vi": "Phản ứng nặng chờ theo dõi", "en": "Serious reactions awaiting follow-up"},
    "ops.pause": {"vi": "Tạm dừng tự cập nhật", "en": "Pause refreshing"},
    "ops.paused": {"vi": "Đã tạm dừng tự cập nhật.", "en": "Refreshing is paused."},
    "ops.resume": {"vi": "Tự cập nhật lại", "en": "Refresh again"},
    "target.adults_first_dose_2021": {
        "vi": "50% người trưởng thành tiêm ít nhất 1 mũi trước hết năm 2021",
        "en": "50% of adults with at least one dose by the end of 2021",
    },
    "target.population_first_dose_q1_2022": {
        "vi": "70% dân số tiêm ít nhất 1 mũi trước hết quý I/2022",
        "en": "70% of the population with at least one dose by the end of Q1 2022",
    },
    "ops.reached": {
        "vi": "Đạt {now}% / mục tiêu {goal}%, hạn {day}.",
        "en": "{now}% reached of {goal}%, due {day}.",
    },
    "ops.met": {"vi": "đã đạt", "en": "met"},
    "ops.missed": {"vi": "quá hạn, chưa đạt", "en": "missed"},
    "ops.days_left": {"vi": "còn {days} ngày", "en": "{days} days left"},
    "ops.onset": {"vi": "khởi phát {day}", "en": "onset {day}"},
    "ops.waiting": {"vi": "chờ {days} ngày", "en": "waiting {days} days"},
    "ops.record_follow_up": {"vi": "Ghi nhận kết quả theo dõi", "en": "Record the follow-up"},
    "ops.follow_up_help": {
        "vi": "Ghi kết quả sau khi liên hệ người bị phản ứng hoặc cơ sở điều trị. Danh tính không hiển thị ở đây.",
        "en": "Write what you found after contacting the person or the hospital. Identities are not shown here.",
    },
    "ops.outcome": {"vi": "Kết quả theo dõi", "en": "Outcome"},
    "field.outcome": {"vi": "Kết quả theo dõi", "en": "Outcome"},
    "ops.resolved": {"vi": "Đã ổn định, đóng ca theo dõi", "en": "Recovered: close the case"},
    "ops.no_serious": {"vi": "Không có phản ứng nặng nào đang chờ.", "en": "No serious reaction is waiting."},
    "ops.q_per_day": {"vi": "Mỗi ngày tiêm được bao nhiêu mũi?", "en": "How many doses each day?"},
    "ops.per_day_recent": {"vi": "Số mũi mỗi ngày, {days} ngày qua", "en": "Doses per day, last {days} days"},
    "ops.stock_summary": {
        "vi": "{expired} lô hết hạn · {near} lô sắp hết hạn (30 ngày) · {usable} lô dùng được.",
        "en": "{expired} lots expired · {near} expiring within 30 days · {usable} usable.",
    },
    "ops.search": {"vi": "Tìm vắc xin, số lô hoặc điểm tiêm", "en": "Find a vaccine, lot or site"},
    "ops.show": {"vi": "Hiện", "en": "Show"},
    "ops.state_all": {"vi": "Tất cả", "en": "All"},
    "ops.state_expired": {"vi": "Hết hạn", "en": "Expired"},
    "ops.state_near_expiry": {"vi": "Sắp hết hạn", "en": "Expiring soon"},
    "ops.state_usable": {"vi": "Dùng được", "en": "Usable"},
    "ops.filter": {"vi": "Lọc", "en": "Filter"},
    "ops.showing": {"vi": "Hiện {shown} trên {total} lô.", "en": "Showing {shown} of {total} lots."},
    "ops.left": {"vi": "Còn lại (liều)", "en": "Doses left"},
    "ops.expires_in": {"vi": "hết hạn sau {days} ngày", "en": "expires in {days} days"},
    "ops.no_lots": {"vi": "Không có lô nào khớp.", "en": "No lot matches."},
    "view.statistics": {"vi": "Số liệu công khai", "en": "Public statistics"},
    "view.operations": {"vi": "Bảng điều hành", "en": "Operations view"},
    "view.health_book": {"vi": "Sổ sức khỏe", "en": "Health books"},
    "view.certificate_index": {"vi": "Chứng nhận", "en": "Certificates"},
    "view.people_directory": {"vi": "Danh bạ người tiêm", "en": "People directory"},
    "view.other": {"vi": "Bảng tổng hợp khác", "en": "Another summary"},
    "done.follow_up": {"vi": "Đã ghi nhận kết quả theo dõi.", "en": "The follow-up is recorded."},
    "audit.last": {"vi": "Lần kiểm tra gần nhất", "en": "Last verification"},
    "audit.ok": {"vi": "Toàn vẹn", "en": "Intact"},
    "audit.broken": {"vi": "Phát hiện thay đổi", "en": "Tampering found"},
    "audit.never": {"vi": "Chưa kiểm tra lần nào.", "en": "Not verified yet."},
    "audit.intact_line": {
        "vi": "{events} sự kiện, đến vị trí {position}, khớp với các lá ghi cùng chúng, với cây và với "
        "các mốc đã ký (mỗi mốc khớp với mốc trước).",
        "en": "{events} events, up to position {position}, match the leaves written with them, the tree "
        "and the signed checkpoints (each consistent with the one before).",
    },
    "audit.unpinned": {
        "vi": "Cảnh báo: các mốc được kiểm tra bằng khóa ghi trong cơ sở dữ liệu, không phải một khóa đã ghim.",
        "en": "Warning: the checkpoints were checked against the key recorded in the database, not a pinned key.",
    },
    "audit.broken_line": {
        "vi": "Chuỗi kiểm toán không khớp từ vị trí {position}: dữ liệu đã bị thay đổi sau khi ghi.",
        "en": "The audit chain does not match from position {position}: data was changed after it was written.",
    },
    "audit.broken_detail": {"vi": "Chi tiết kỹ thuật (tiếng Anh)", "en": "Technical details"},
    "audit.verify_now": {"vi": "Kiểm tra ngay", "en": "Verify now"},
    "audit.checkpoints": {"vi": "Điểm kiểm tra đã ký", "en": "Signed checkpoints"},
    "audit.position": {"vi": "Vị trí", "en": "Position"},
    "audit.hash": {"vi": "Mã băm", "en": "Hash"},
    "audit.at": {"vi": "Thời điểm", "en": "At"},
    "audit.export": {
        "vi": "Tải bản xuất kiểm toán (JSON Lines)",
        "en": "Download the audit export (JSON Lines)",
    },
    # statistics
    "stats.note": {
        "vi": "Số liệu tổng hợp từ sổ cái; ô nhỏ hơn 5 được ẩn để bảo vệ danh tính.",
        "en": "Figures from the ledger; counts under 5 are hidden to protect identities.",
    },
    "views.as_of": {
        "vi": "Số liệu tính đến {time}; việc vừa ghi có thể chưa hiện ở đây.",
        "en": "Figures as of {time}; something recorded a moment ago may not show here yet.",
    },
    "views.behind": {
        "vi": "Số liệu đang cập nhật chậm hơn sổ cái; việc vừa ghi có thể chưa hiện ở đây.",
        "en": "Figures are behind the ledger; something recorded recently may not show here yet.",
    },
    "stats.replica": {
        "vi": "Số liệu đọc từ máy chủ bản sao, chậm hơn máy chủ chính khoảng {seconds} giây.",
        "en": "Figures read from a replica server, about {seconds} s behind the primary.",
    },
    "stats.total_doses": {"vi": "Tổng số mũi", "en": "Doses given"},
    "stats.people": {"vi": "Số người đã tiêm", "en": "People vaccinated"},
    "stats.reactions": {"vi": "Phản ứng / 100.000 mũi", "en": "Reactions per 100,000 doses"},
    "stats.per_day": {"vi": "Số mũi mỗi ngày", "en": "Doses per day"},
    "stats.by_vaccine": {"vi": "Theo vắc xin", "en": "By vaccine"},
    "stats.by_group": {"vi": "Theo nhóm ưu tiên", "en": "By priority group"},
    "stats.provinces": {"vi": "63 tỉnh, thành phố", "en": "63 provinces"},
    "stats.coverage": {
        "vi": "Độ bao phủ (% dân số, ít nhất 1 mũi)",
        "en": "Coverage (% of population, at least 1 dose)",
    },
    "stats.by_dose_number": {"vi": "Theo mũi tiêm", "en": "By dose number"},
    "stats.reactions_by_severity": {"vi": "Phản ứng sau tiêm theo mức độ", "en": "Reactions by severity"},
    "stats.count": {"vi": "Số ca", "en": "Reports"},
    "stats.notes": {"vi": "Ghi chú về số liệu", "en": "Notes on the figures"},
    "stats.doses": {"vi": "Số mũi", "en": "Doses"},
    "stats.national_coverage": {
        "vi": "Dân số đã tiêm ít nhất 1 mũi",
        "en": "Population with at least 1 dose",
    },
    "stats.fully": {"vi": "Số người đã tiêm 2 mũi", "en": "People with 2 doses"},
    "stats.q_coverage": {
        "vi": "Mỗi tỉnh đã tiêm cho bao nhiêu phần trăm dân số?",
        "en": "What share of each province's population has had a dose?",
    },
    "stats.coverage_chart": {
        "vi": "Tỷ lệ dân số đã tiêm ít nhất 1 mũi, theo tỉnh, cao nhất trước",
        "en": "Share of the population with at least one dose, by province, highest first",
    },
    "stats.q_per_day": {
        "vi": "Mỗi ngày tiêm được bao nhiêu mũi?",
        "en": "How many doses are given each day?",
    },
    "stats.per_week": {"vi": "Số mũi mỗi tuần", "en": "Doses per week"},
    "stats.per_month": {"vi": "Số mũi mỗi tháng", "en": "Doses per month"},
    "stats.period": {"vi": "Từ ngày", "en": "From"},
    "stats.q_vaccine": {"vi": "Đã tiêm những vắc xin nào?", "en": "Which vaccines were given?"},
    "stats.q_group": {
        "vi": "Các nhóm ưu tiên đã được tiêm bao nhiêu mũi?",
        "en": "How many doses went to each priority group?",
    },
    "stats.q_dose_number": {
        "vi": "Bao nhiêu mũi là mũi 1, mũi 2, mũi nhắc lại?",
        "en": "How many first, second and booster doses?",
    },
    "stats.q_reactions": {
        "vi": "Phản ứng sau tiêm có thường gặp không?",
        "en": "How common are reactions after a dose?",
    },
    "stats.dose_n": {"vi": "Mũi {number}", "en": "Dose {number}"},
    "stats.per_100k": {"vi": "Trên 100.000 mũi", "en": "Per 100,000 doses"},
    "stats.table": {"vi": "Xem bảng số liệu", "en": "Show the table"},
    "stats.first_dose": {"vi": "Đã tiêm mũi 1", "en": "With dose 1"},
    "stats.second_dose": {"vi": "Đã tiêm mũi 2", "en": "With dose 2"},
    "stats.population": {"vi": "Dân số (2020)", "en": "Population (2020)"},
    "stats.coverage2": {"vi": "% đủ 2 mũi", "en": "% with 2 doses"},
    "stats.suppressed": {"vi": "< 5", "en": "< 5"},
    "stats.rate_hidden": {
        "vi": "Ẩn (có loại phản ứng dưới 5 ca)",
        "en": "Hidden (a kind of reaction has under 5 reports)",
    },
    "stats.fewer_than_5_people": {"vi": "< 5 người", "en": "< 5 people"},
    "nav.statistics_short": {"vi": "Số liệu", "en": "Statistics"},
    "nav.verify_short": {"vi": "Kiểm tra QR", "en": "Check a QR"},
    "stats.note_adults": {
        "vi": "Người trưởng thành (18+) được ước tính bằng 72% dân số năm 2020 của Tổng cục Thống kê ở mọi tỉnh: "
        "một tỷ lệ giả định chung cả nước, không phải số liệu công bố theo tỉnh.",
        "en": "Adults (18+) are estimated as 72% of the GSO 2020 population in every province: an assumed "
        "national share, not a published per-province figure.",
    },
    "stats.note_suppression": {
        "vi": "Các số từ 1 đến 4 không được hiển thị (và thêm một ô khi chỉ một ô bị ẩn), để không ô nào "
        "làm lộ một người.",
        "en": "Counts from 1 to 4 are not shown (nor one more cell when only one would be hidden), so no "
        "cell reveals a person.",
    },
    "stats.note_coverage": {
        "vi": "Tỷ lệ tính theo tỉnh nơi ở, so với dân số trung bình năm 2020 của Tổng cục Thống kê.",
        "en": "Coverage compares people by province of residence with the GSO 2020 average population.",
    },
    "stats.note_voided": {
        "vi": "Mũi đã hủy không được tính; mũi đã sửa được tính theo thông tin đã sửa.",
        "en": "A voided dose is not counted; a corrected dose is counted with its corrected details.",
    },
    "group.HEALTH_WORKER": {"vi": "Nhân viên y tế", "en": "Health workers"},
    "group.EPIDEMIC_RESPONSE": {"vi": "Lực lượng chống dịch", "en": "Epidemic response"},
    "group.ARMY": {"vi": "Quân đội", "en": "Army"},
    "group.POLICE": {"vi": "Công an", "en": "Police"},
    "group.DIPLOMATIC": {"vi": "Ngoại giao", "en": "Diplomatic staff"},
    "group.CUSTOMS_IMMIGRATION": {"vi": "Hải quan, nhập cảnh", "en": "Customs, immigration"},
    "group.ESSENTIAL_SERVICES": {"vi": "Dịch vụ thiết yếu", "en": "Essential services"},
    "group.EDUCATION_ADMIN_PUBLIC_FACING": {"vi": "Giáo dục, hành chính", "en": "Teachers, officials"},
    "group.CHRONIC_DISEASE_OR_OVER_65": {"vi": "Bệnh nền, trên 65 tuổi", "en": "Chronic illness, 65+"},
    "group.EPIDEMIC_AREA_RESIDENT": {"vi": "Sống ở vùng dịch", "en": "In epidemic areas"},
    "group.POOR_SOCIAL_POLICY": {"vi": "Hộ nghèo, chính sách", "en": "Poor, social policy"},
    "group.OVERSEAS_TRAVEL_FOREIGN_EXPERT": {
        "vi": "Xuất cảnh, chuyên gia",
        "en": "Going abroad, experts",
    },
    "group.ENTERPRISE_WORKER": {"vi": "Lao động doanh nghiệp", "en": "Enterprise workers"},
    "group.RELIGIOUS_DIGNITARY": {"vi": "Chức sắc tôn giáo", "en": "Religious dignitaries"},
    "group.FREELANCE_WORKER": {"vi": "Lao động tự do", "en": "Freelance workers"},
    "group.OTHER": {"vi": "Đối tượng khác", "en": "Others"},
    # errors
    "error.title": {"vi": "Không thực hiện được", "en": "That did not work"},
    "error.generic": {
        "vi": "Đã xảy ra lỗi. Vui lòng thử lại sau.",
        "en": "Something went wrong. Please try again later.",
    },
    "error.web_error": {
        "vi": "Không thực hiện được. Kiểm tra lại rồi thử lại.",
        "en": "That did not work. Check and try again.",
    },
    "error.web_configuration": {
        "vi": "Ứng dụng web chưa được cấu hình đúng. Báo quản trị hệ thống.",
        "en": "The web app is not configured correctly. Tell the system administrator.",
    },
    "error.page_not_found": {
        "vi": "Không tìm thấy trang hoặc hồ sơ này.",
        "en": "This page or record was not found.",
    },
    "error.accounts_store_unavailable": {
        "vi": "Cơ sở dữ liệu tài khoản tạm thời không phản hồi. Thử lại sau ít phút.",
        "en": "The accounts database is not answering. Try again in a few minutes.",
    },
    "error.bad_input": {"vi": "Thông tin gửi lên không hợp lệ.", "en": "What was sent is not valid."},
    "error.not_found": {
        "vi": "Không tìm thấy trang hoặc hồ sơ này.",
        "en": "This page or record was not found.",
    },
    "error.person_not_found": {
        "vi": "Không tìm thấy người này. Kiểm tra lại số giấy tờ hoặc đăng ký mới.",
        "en": "No such person. Check the ID number or register them.",
    },
    "error.forbidden": {"vi": "Bạn không có quyền làm việc này.", "en": "You are not allowed to do this."},
    "error.signin_required": {"vi": "Vui lòng đăng nhập trước.", "en": "Please sign in first."},
    "error.signin_failed": {"vi": "Sai tên đăng nhập hoặc mật khẩu.", "en": "Wrong username or password."},
    "error.rate_limited": {
        "vi": "Quá nhiều lần thử. Vui lòng đợi vài phút.",
        "en": "Too many attempts. Please wait a few minutes.",
    },
    "error.rate_limited_minutes": {
        "vi": "Quá nhiều lần thử. Vui lòng đợi {minutes} phút rồi thử lại.",
        "en": "Too many attempts. Wait {minutes} minutes and try again.",
    },
    "error.signin_wait_seconds": {
        "vi": "Đăng nhập sai quá nhiều lần. Vui lòng đợi {seconds} giây rồi thử lại.",
        "en": "Too many failed sign-ins. Wait {seconds} seconds and try again.",
    },
    "error.signin_wait_minutes": {
        "vi": "Đăng nhập sai quá nhiều lần. Vui lòng đợi {minutes} phút rồi thử lại.",
        "en": "Too many failed sign-ins. Wait {minutes} minutes and try again.",
    },
    "error.method": {
        "vi": "Thao tác này không được hỗ trợ ở đây.",
        "en": "That action is not supported here.",
    },
    "error.too_large": {"vi": "Tệp quá lớn (tối đa 4 MB).", "en": "The file is too large (4 MB at most)."},
    "error.unavailable": {
        "vi": "Chức năng này tạm thời chưa sẵn sàng.",
        "en": "This is not available at the moment.",
    },
    "error.csrf": {
        "vi": "Phiên làm việc đã hết hạn. Tải lại trang và gửi lại.",
        "en": "Your session has expired. Reload the page and submit again.",
    },
    "error.phone_invalid": {
        "vi": "Số điện thoại không đúng. Nhập số di động Việt Nam, ví dụ 0912345678.",
        "en": "That phone number is not right. Type a Vietnamese mobile number, e.g. 0912345678.",
    },
    "error.code_missing": {
        "vi": "Chưa có mã nào được gửi, hoặc mã đã dùng. Hãy yêu cầu mã mới.",
        "en": "No code was sent, or it was used. Ask for a new one.",
    },
    "error.code_expired": {
        "vi": "Mã đã hết hạn. Hãy yêu cầu mã mới.",
        "en": "The code has expired. Ask for a new one.",
    },
    "error.code_wrong": {
        "vi": "Mã không đúng. Kiểm tra tin nhắn và nhập lại.",
        "en": "The code is not right. Check the message and try again.",
    },
    "error.code_attempts": {
        "vi": "Nhập sai quá nhiều lần. Hãy yêu cầu mã mới.",
        "en": "Too many wrong codes. Ask for a new one.",
    },
    "error.username_invalid": {
        "vi": "Tên đăng nhập 3–40 ký tự: chữ thường, số, '.', '_' hoặc '-'.",
        "en": "A username is 3-40 characters: lower-case letters, digits, '.', '_' or '-'.",
    },
    "error.username_taken": {"vi": "Tên đăng nhập đã có người dùng.", "en": "That username is taken."},
    "error.role_invalid": {"vi": "Vai trò không hợp lệ.", "en": "That role does not exist."},
    "error.password_short": {
        "vi": "Mật khẩu cần ít nhất 10 ký tự.",
        "en": "A password needs at least 10 characters.",
    },
    "error.site_required": {"vi": "Nhân viên điểm tiêm cần có điểm tiêm.", "en": "Site staff need a site."},
    "error.province_required": {
        "vi": "Cán bộ tỉnh cần có mã tỉnh.",
        "en": "A province officer needs a province.",
    },
    "error.field_missing": {
        "vi": "Chưa điền «{field}». Hãy điền rồi gửi lại.",
        "en": "“{field}” is empty. Fill it in and send again.",
    },
    "error.field_too_long": {
        "vi": "«{field}» quá dài. Hãy rút ngắn rồi gửi lại.",
        "en": "“{field}” is too long. Shorten it and send again.",
    },
    "error.sex_typed": {
        "vi": "«{field}»: gõ nữ, nam hoặc khác.",
        "en": "“{field}”: type female, male or other.",
    },
    "error.field_choice": {
        "vi": "Hãy chọn «{field}» trong danh sách.",
        "en": "Choose “{field}” from the list.",
    },
    "error.date_invalid": {
        "vi": "«{field}» không phải ngày hợp lệ. Nhập theo dạng ngày/tháng/năm, ví dụ 30/08/2021.",
        "en": "“{field}” is not a date. Type it as day/month/year, e.g. 30/08/2021.",
    },
    "error.birth_date_invalid": {
        "vi": "Ngày sinh không hợp lệ. Nhập ngày/tháng/năm (03/02/1990), hoặc chỉ năm sinh (1990).",
        "en": "The date of birth is not valid. Type day/month/year (03/02/1990), or the year alone (1990).",
    },
    "error.place_missing": {
        "vi": "Chưa chọn «{field}». Hãy chọn trong danh sách.",
        "en": "No “{field}” chosen yet. Choose one from the list.",
    },
    "error.ward_unknown": {
        "vi": "Hãy chọn phường/xã trong danh sách.",
        "en": "Choose the ward from the list.",
    },
    "error.declare_symptoms": {
        "vi": "Hãy ghi triệu chứng, hoặc đánh dấu «Không có triệu chứng».",
        "en": "Write the symptoms, or tick “No symptoms”.",
    },
    "error.declare_travel": {
        "vi": "Hãy ghi nơi đã đến, hoặc đánh dấu «Không đi đâu».",
        "en": "Write where you went, or tick “Nowhere”.",
    },
    "error.declare_both": {
        "vi": "Bạn đã ghi triệu chứng nhưng lại đánh dấu «Không có triệu chứng». Hãy bỏ một trong hai.",
        "en": "You wrote symptoms and also ticked “No symptoms”. Keep one of the two.",
    },
    "error.number_invalid": {
        "vi": "«{field}» phải là số nguyên.",
        "en": "“{field}” must be a whole number.",
    },
    "error.json_expected": {"vi": "Hãy gửi một đối tượng JSON.", "en": "Send a JSON object."},
    "error.hc1_missing": {
        "vi": "Hãy dán chuỗi HC1 hoặc chọn ảnh mã QR.",
        "en": "Paste the HC1 text or choose a QR picture.",
    },
    "error.hc1_too_long": {
        "vi": "Chuỗi quá dài, không phải chứng nhận.",
        "en": "That text is far too long to be a certificate.",
    },
    "error.picture": {
        "vi": "Không đọc được ảnh. Dùng ảnh PNG hoặc JPEG.",
        "en": "That picture cannot be read. Use a PNG or JPEG.",
    },
    "error.picture_too_large": {
        "vi": "Ảnh quá lớn (tối đa {megapixels} megapixel). Hãy chụp hoặc lưu ảnh nhỏ hơn.",
        "en": "The picture is too large ({megapixels} megapixels at most). Use a smaller photo.",
    },
    "error.busy": {
        "vi": "Máy chủ đang bận đọc ảnh khác. Vui lòng thử lại sau giây lát.",
        "en": "The server is busy reading other pictures. Try again in a moment.",
    },
    "error.no_qr": {
        "vi": "Không tìm thấy mã QR chứng nhận trong ảnh. Chụp lại rõ hơn.",
        "en": "No certificate QR code was found in the picture. Take a clearer one.",
    },
    "error.certificate_invalid": {"vi": "Chứng nhận không hợp lệ.", "en": "The certificate is not valid."},
    "error.register_first": {"vi": "Hãy đăng ký bản thân trước.", "en": "Register yourself first."},
    "error.dose_date": {
        "vi": "Ngày tiêm không hợp lệ (trong tương lai hoặc trước ngày sinh).",
        "en": "The dose date is not possible (in the future or before birth).",
    },
    "error.lot_unusable": {
        "vi": "Không dùng được lô này (sai vắc xin hoặc đã hết hạn).",
        "en": "This lot cannot be used (another vaccine, or expired).",
    },
    "error.erased": {"vi": "Hồ sơ này đã bị xóa theo yêu cầu.", "en": "This record was erased on request."},
    "error.conflict": {
        "vi": "Hồ sơ vừa được người khác cập nhật. Hãy thử lại.",
        "en": "Someone else just changed this record. Try again.",
    },
    "error.audit": {"vi": "Chuỗi kiểm toán chưa sẵn sàng.", "en": "The audit chain is not ready."},
    "error.keys_missing": {
        "vi": "Hệ thống chưa có khóa ký chứng nhận.",
        "en": "The signing keys are not set up yet.",
    },
}


from web.campaign_catalog import CAMPAIGN_CATALOG  # noqa: E402 (the campaign pages keep their texts apart)

CATALOG.update(CAMPAIGN_CATALOG)

from web.stock_catalog import STOCK_CATALOG  # noqa: E402 (the stock pages keep their texts apart)

CATALOG.update(STOCK_CATALOG)
