"""The campaign pages' texts in Vietnamese and English (merged into web.catalog.CATALOG)."""

from __future__ import annotations

CAMPAIGN_CATALOG: dict[str, dict[str, str]] = {
    "campaign.today": {"vi": "Danh sách tiêm hôm nay", "en": "Today's vaccination list"},
    "campaign.no_plan": {"vi": "Chưa có kế hoạch tiêm cho hôm nay.", "en": "No plan for today yet."},
    "campaign.cancelled": {"vi": "đã hủy", "en": "cancelled"},
    "campaign.person": {"vi": "Người tiêm", "en": "Person"},
    "campaign.dose": {"vi": "Mũi", "en": "Dose"},
    "campaign.product": {"vi": "Vắc xin", "en": "Vaccine"},
    "campaign.status": {"vi": "Trạng thái", "en": "Status"},
    "campaign.status.booked": {"vi": "Đã hẹn", "en": "Booked"},
    "campaign.status.arrived": {"vi": "Đã đến", "en": "Arrived"},
    "campaign.status.done": {"vi": "Đã tiêm", "en": "Vaccinated"},
    "campaign.status.cancelled": {"vi": "Đã hủy", "en": "Cancelled"},
    "campaign.status.no_show": {"vi": "Không đến", "en": "No-show"},
    "campaign.check_in": {"vi": "Đã đến", "en": "Check in"},
    "campaign.lot": {"vi": "Lô", "en": "Lot"},
    "campaign.no_show": {"vi": "Không đến", "en": "Did not come"},
    "campaign.came_late": {"vi": "Đến muộn", "en": "Came late"},
    "campaign.record_dose": {"vi": "Ghi nhận mũi tiêm", "en": "Record the dose"},
    "campaign.priority_list": {"vi": "Danh sách ưu tiên theo phường/xã", "en": "Priority list by ward"},
    "campaign.ward_code": {"vi": "Mã phường/xã", "en": "Ward code"},
    "campaign.show": {"vi": "Xem", "en": "Show"},
    "campaign.waiting_total": {"vi": "Đang chờ", "en": "Waiting"},
    "campaign.places_per_day": {"vi": "Số chỗ mỗi ngày", "en": "Places per day"},
    "campaign.rank": {"vi": "Thứ tự", "en": "Rank"},
    "campaign.group": {"vi": "Nhóm ưu tiên", "en": "Priority group"},
    "campaign.waiting": {"vi": "Số người chờ", "en": "People waiting"},
    "campaign.everyone_fits": {
        "vi": "Mọi người đang chờ và đã đến hạn đều có chỗ trong ngày này.",
        "en": "Everyone waiting and due fits in that day's places.",
    },
    "campaign.my_vaccination": {"vi": "Lịch tiêm của tôi", "en": "My vaccination"},
    "campaign.appointment": {"vi": "Lịch hẹn", "en": "Appointment"},
    "campaign.cancel": {"vi": "Hủy lịch", "en": "Cancel"},
    "campaign.registration.waiting": {"vi": "đang chờ xếp lịch", "en": "waiting for an appointment"},
    "campaign.registration.booked": {"vi": "đã có lịch", "en": "booked"},
    "campaign.registration.withdrawn": {"vi": "đã rút đăng ký", "en": "withdrawn"},
    "campaign.registration.done": {"vi": "đã tiêm", "en": "vaccinated"},
    "campaign.place_in_queue": {"vi": "thứ tự trong hàng chờ", "en": "place in the queue"},
    "campaign.sms_language": {"vi": "Ngôn ngữ tin nhắn", "en": "Message language"},
    "campaign.register": {"vi": "Đăng ký tiêm", "en": "Register for vaccination"},
    "campaign.sites": {"vi": "Điểm tiêm và công suất", "en": "Sites and capacity"},
    "campaign.site": {"vi": "Điểm tiêm", "en": "Site"},
    "campaign.add_site": {"vi": "Thêm điểm tiêm", "en": "Add a site"},
    "campaign.edit_site": {"vi": "Sửa điểm tiêm", "en": "Edit the site"},
    "campaign.edit": {"vi": "Sửa", "en": "Edit"},
    "campaign.save_site": {"vi": "Lưu điểm tiêm", "en": "Save the site"},
    "campaign.create_site": {"vi": "Thêm điểm tiêm", "en": "Add the site"},
    "campaign.site_ward_help": {
        "vi": "Gõ tên hoặc mã phường/xã rồi chọn trong danh sách (ví dụ 00001 — Phường Phúc Xá).",
        "en": "Type the ward's name or code and pick it from the list (e.g. 00001 — Phường Phúc Xá).",
    },
    "campaign.site_sessions": {"vi": "Buổi tiêm và số chỗ", "en": "Sessions and places"},
    "campaign.site_sessions_help": {
        "vi": "Giờ dạng HH:MM; số chỗ từ 1 đến 2.000 mỗi buổi. Để trống số chỗ nếu không tổ chức buổi đó.",
        "en": "Times as HH:MM; 1 to 2,000 places a session. Leave the places empty for a session not held.",
    },
    "campaign.session_start": {"vi": "Bắt đầu", "en": "Starts"},
    "campaign.session_end": {"vi": "Kết thúc", "en": "Ends"},
    "campaign.session_places": {"vi": "Số chỗ", "en": "Places"},
    "campaign.opening_days": {"vi": "Ngày làm việc", "en": "Opening days"},
    "campaign.weekday.0": {"vi": "Thứ Hai", "en": "Monday"},
    "campaign.weekday.1": {"vi": "Thứ Ba", "en": "Tuesday"},
    "campaign.weekday.2": {"vi": "Thứ Tư", "en": "Wednesday"},
    "campaign.weekday.3": {"vi": "Thứ Năm", "en": "Thursday"},
    "campaign.weekday.4": {"vi": "Thứ Sáu", "en": "Friday"},
    "campaign.weekday.5": {"vi": "Thứ Bảy", "en": "Saturday"},
    "campaign.weekday.6": {"vi": "Chủ Nhật", "en": "Sunday"},
    "campaign.site_state": {"vi": "Trạng thái", "en": "Status"},
    "campaign.pause_site": {"vi": "Tạm dừng điểm tiêm", "en": "Pause the site"},
    "campaign.reopen_site": {"vi": "Mở lại điểm tiêm", "en": "Reopen the site"},
    "campaign.pause_reason": {"vi": "Lý do (không bắt buộc)", "en": "Reason (optional)"},
    "campaign.pause_help": {
        "vi": "Khi tạm dừng, điểm tiêm không nhận lịch hẹn mới; lịch đã hẹn vẫn giữ nguyên.",
        "en": "A paused site takes no new appointments; appointments already made stay.",
    },
    "campaign.back_to_sites": {"vi": "Về danh sách điểm tiêm", "en": "Back to the sites"},
    "field.site_code": {"vi": "Mã điểm tiêm", "en": "Site code"},
    "field.site_name": {"vi": "Tên điểm tiêm", "en": "Site name"},
    "field.site_address": {"vi": "Địa chỉ", "en": "Address"},
    "field.site_ward": {"vi": "Phường/xã", "en": "Ward or commune"},
    "error.site_session_start": {
        "vi": "Giờ bắt đầu {session} «{time}» không phải giờ hợp lệ: nhập dạng giờ:phút, ví dụ 07:30.",
        "en": "The {session} start “{time}” is not a time of day: type hours:minutes, e.g. 07:30.",
    },
    "error.site_session_end": {
        "vi": "Giờ kết thúc {session} «{time}» không phải giờ hợp lệ: nhập dạng giờ:phút, ví dụ 11:30.",
        "en": "The {session} end “{time}” is not a time of day: type hours:minutes, e.g. 11:30.",
    },
    "error.site_session_order": {
        "vi": "Giờ kết thúc {session} ({end}) phải sau giờ bắt đầu ({start}): sửa một trong hai giờ.",
        "en": "The {session} must end ({end}) after it starts ({start}): correct one of the two times.",
    },
    "error.site_code_taken": {
        "vi": "Mã điểm tiêm {code} đã dùng cho {site}: chọn mã khác.",
        "en": "The site code {code} is already {site}'s: choose another code.",
    },
    "error.site_no_session": {
        "vi": "Điểm tiêm cần ít nhất một buổi: điền số chỗ cho buổi sáng, chiều hoặc tối.",
        "en": "A site needs at least one session: type the places of the morning, afternoon or evening.",
    },
    "campaign.sessions": {"vi": "Buổi tiêm", "en": "Sessions"},
    "campaign.plan": {"vi": "Lập kế hoạch tiêm", "en": "Plan"},
    "campaign.date": {"vi": "Ngày bắt đầu", "en": "First day"},
    "campaign.whole_week": {
        "vi": "Cả tuần (7 ngày từ ngày này)",
        "en": "A whole week (7 days from this day)",
    },
    "campaign.stock": {"vi": "Tồn kho vắc xin", "en": "Vaccine stock"},
    "campaign.on_hand": {"vi": "Còn (chưa hết hạn)", "en": "On hand (unexpired)"},
    "campaign.booked": {"vi": "Đã hẹn", "en": "Booked"},
    "campaign.free": {"vi": "Còn trống", "en": "Free"},
    # ---- issue 13, second wave: the citizen's page, moving, the list, staff and province pages ----
    "campaign.when": {"vi": "Thời gian", "en": "When"},
    "campaign.session.morning": {"vi": "Buổi sáng", "en": "Morning"},
    "campaign.session.afternoon": {"vi": "Buổi chiều", "en": "Afternoon"},
    "campaign.session.evening": {"vi": "Buổi tối", "en": "Evening"},
    "campaign.move": {"vi": "Đổi lịch", "en": "Move"},
    "campaign.move_title": {"vi": "Đổi lịch tiêm", "en": "Move the appointment"},
    "campaign.now_booked": {"vi": "Lịch hiện tại", "en": "Booked now"},
    "campaign.choose_session": {
        "vi": "Chọn buổi tiêm còn chỗ",
        "en": "Choose a session with places",
    },
    "campaign.free_places": {"vi": "còn {count} chỗ", "en": "{count} places free"},
    "campaign.move_help": {
        "vi": "Lịch cũ được hủy và bạn nhận tin nhắn lịch mới. Bạn giữ nguyên thứ tự ưu tiên.",
        "en": "The old appointment is cancelled and a message gives the new one. Your priority stays.",
    },
    "campaign.move_confirm": {"vi": "Đổi sang buổi đã chọn", "en": "Move to the chosen session"},
    "campaign.no_other_places": {
        "vi": "Chưa có buổi tiêm nào khác còn chỗ trong 7 ngày tới ở phường/xã này. Bạn có thể giữ lịch, hoặc "
        "hủy lịch và giữ thứ tự trong hàng chờ.",
        "en": "No other session has places in the next 7 days in this ward. Keep the appointment, or cancel "
        "it and keep your place in the queue.",
    },
    "campaign.withdraw_too": {
        "vi": "Rút khỏi hàng chờ (không muốn được xếp lịch lại)",
        "en": "Leave the queue too (do not book me again)",
    },
    "campaign.queue": {"vi": "Đăng ký và thứ tự chờ", "en": "Registration and place in the queue"},
    "campaign.not_registered": {
        "vi": "Chưa đăng ký tiêm. Đăng ký bên dưới để được xếp lịch.",
        "en": "Not registered yet. Register below to be given an appointment.",
    },
    "campaign.your_place": {
        "vi": "Thứ tự chờ: {position} / {waiting} người đang chờ ở {ward}.",
        "en": "Place in the queue: {position} of {waiting} people waiting in {ward}.",
    },
    "campaign.due_from": {"vi": "Đến hạn tiêm từ {day}.", "en": "Due from {day}."},
    "campaign.expected_on": {
        "vi": "Dự kiến có lịch ngày {day} (ước tính theo chỗ trống và số liều vắc xin còn); tin nhắn sẽ báo giờ "
        "và địa điểm.",
        "en": "Expected to be booked on {day} (an estimate from free places and doses in stock); a message will "
        "give the time and place.",
    },
    "campaign.not_expected_soon": {
        "vi": "Trong 2 tuần kể từ ngày đến hạn chưa có chỗ với vắc xin phù hợp đến lượt bạn; bạn sẽ nhận tin "
        "nhắn khi có lịch.",
        "en": "No place with a suitable vaccine reaches you within 2 weeks of your due day; a message will come "
        "when you are booked.",
    },
    "campaign.next_dose_due": {
        "vi": "Mũi {number} đến hạn từ {day} ({product}: cách mũi trước ít nhất {days} ngày). Đến ngày đó hệ "
        "thống tự đăng ký và nhắn tin cho bạn; bạn cũng có thể đăng ký ngay bên dưới.",
        "en": "Dose {number} is due from {day} ({product}: at least {days} days after the previous dose). On "
        "that day you are registered and told by message; you can also register now below.",
    },
    "campaign.next_dose_overdue": {
        "vi": "Mũi {number} đã đến hạn từ {day} ({product}: cách mũi trước ít nhất {days} ngày). Đăng ký ngay "
        "bên dưới để được xếp lịch.",
        "en": "Dose {number} has been due since {day} ({product}: at least {days} days after the previous "
        "dose). Please register below to be booked.",
    },
    "campaign.next_dose_short": {
        "vi": "Mũi {number} đến hạn từ {day}.",
        "en": "Dose {number} is due from {day}.",
    },
    "campaign.series_complete": {
        "vi": "Đã tiêm đủ {count} mũi cơ bản.",
        "en": "Primary series complete ({count} doses).",
    },
    "campaign.see_priority_list": {
        "vi": "Xem danh sách ưu tiên của phường/xã",
        "en": "See the ward's priority list",
    },
    "campaign.where": {"vi": "Nơi muốn tiêm", "en": "Where"},
    "campaign.where_help": {
        "vi": "Bạn được xếp lịch tại các điểm tiêm của nơi đã chọn, theo thứ tự ưu tiên.",
        "en": "You are booked at the sites of the place chosen, in priority order.",
    },
    "campaign.any_site_home": {
        "vi": "Bất kỳ điểm tiêm nào ở nơi ở ({ward})",
        "en": "Any site where I live ({ward})",
    },
    "campaign.any_site_in": {"vi": "Bất kỳ điểm tiêm nào ở {ward}", "en": "Any site in {ward}"},
    "campaign.done.registered": {
        "vi": "Đã đăng ký tiêm mũi {number} cho {name}. Tin nhắn sẽ báo lịch tiêm.",
        "en": "{name} is registered for dose {number}. A message will give the appointment.",
    },
    "campaign.done.cancelled": {
        "vi": "Đã hủy lịch tiêm của {name}. {name} vẫn giữ thứ tự trong hàng chờ.",
        "en": "The appointment of {name} is cancelled. {name} keeps their place in the queue.",
    },
    "campaign.done.withdrawn": {
        "vi": "Đã hủy lịch tiêm và rút {name} khỏi hàng chờ.",
        "en": "The appointment is cancelled and {name} has left the queue.",
    },
    "campaign.done.moved": {
        "vi": "Đã đổi lịch tiêm của {name}. Tin nhắn lịch mới đang được gửi.",
        "en": "The appointment of {name} is moved. A message with the new one is on its way.",
    },
    "campaign.done.transferred": {
        "vi": "Đã chuyển nơi chờ tiêm của {name} sang {ward}, giữ nguyên thứ tự ưu tiên. Tin nhắn xác nhận đang "
        "được gửi.",
        "en": "{name} now waits in {ward}, with the same priority. A message confirming it is on its way.",
    },
    "campaign.transfer": {"vi": "Chuyển nơi chờ tiêm", "en": "Wait somewhere else"},
    "campaign.transfer_title": {"vi": "Chuyển nơi chờ tiêm", "en": "Wait for vaccination somewhere else"},
    "campaign.waiting_in": {"vi": "Đang chờ ở", "en": "Waiting in"},
    "campaign.transfer_intro": {
        "vi": "Đi làm hoặc ở nơi khác một thời gian? Chọn phường/xã (kể cả tỉnh khác) để được xếp lịch tiêm ở "
        "đó. Bạn giữ nguyên nhóm ưu tiên và thời gian đăng ký.",
        "en": "Working or staying elsewhere for a while? Choose the ward (in any province) to be booked there. "
        "Your priority group and registration time stay.",
    },
    "campaign.choose_other_ward": {"vi": "Phường/xã muốn tiêm", "en": "The ward to be vaccinated in"},
    "campaign.show_sites": {"vi": "Xem điểm tiêm ở đó", "en": "Show its sites"},
    "campaign.show_sessions": {"vi": "Xem buổi tiêm ở đó", "en": "Show its sessions"},
    "campaign.no_sites_there": {
        "vi": "Phường/xã này chưa có điểm tiêm đang mở; bạn vẫn có thể chờ ở đây và được xếp lịch khi có.",
        "en": "This ward has no open site yet; you may still wait here and be booked when one opens.",
    },
    "campaign.transfer_help": {
        "vi": "Bạn sẽ nhận tin nhắn xác nhận, rồi tin nhắn lịch tiêm khi được xếp lịch ở nơi mới.",
        "en": "A message confirms it, then another gives the appointment when you are booked there.",
    },
    "campaign.transfer_confirm": {"vi": "Chuyển sang đây", "en": "Move here"},
    "campaign.sessions_in": {
        "vi": "Các buổi tiêm còn chỗ ở {ward}.",
        "en": "Sessions with places in {ward}.",
    },
    "campaign.move_elsewhere": {
        "vi": "Tiêm ở phường/xã hoặc tỉnh khác?",
        "en": "Vaccinated in another ward or province?",
    },
    "campaign.no_places_there": {
        "vi": "Ở phường/xã này chưa có buổi tiêm nào còn chỗ và còn vắc xin của bạn trong 7 ngày tới. Bạn có thể "
        "chọn nơi khác, hoặc chuyển nơi chờ tiêm sang đó sau khi hủy lịch.",
        "en": "No session there has places and your vaccine in the next 7 days. Choose another place, or cancel "
        "and move your place in the queue there.",
    },
    "campaign.move_elsewhere_help": {
        "vi": "Từ nay bạn chờ ở hàng chờ của {ward} (nếu lịch mới bị hủy, bạn được xếp lại ở đó).",
        "en": "From now on you wait in the queue of {ward} (should the new appointment be cancelled, you are "
        "booked there again).",
    },
    "campaign.done.checked_in": {"vi": "Đã ghi nhận người đến.", "en": "Checked in."},
    "campaign.done.site_added": {"vi": "Đã thêm điểm tiêm {site}.", "en": "Site {site} added."},
    "campaign.done.site_saved": {"vi": "Đã lưu điểm tiêm {site}.", "en": "Site {site} saved."},
    "campaign.done.site_paused": {"vi": "Đã tạm dừng điểm tiêm {site}.", "en": "Site {site} paused."},
    "campaign.done.site_reopened": {"vi": "Đã mở lại điểm tiêm {site}.", "en": "Site {site} reopened."},
    "campaign.done.no_show": {
        "vi": "Đã ghi không đến; người này trở lại hàng chờ với thứ tự ưu tiên cũ.",
        "en": "Marked as not come; the person is back in the queue with their priority.",
    },
    "campaign.done.came_late": {
        "vi": "Đã ghi nhận người đến muộn; lịch hẹn hôm nay được giữ lại.",
        "en": "Late arrival recorded; today's appointment is theirs again.",
    },
    "campaign.done.dose": {
        "vi": "Đã ghi nhận mũi tiêm theo lịch hẹn.",
        "en": "The dose is recorded for the appointment.",
    },
    "campaign.done.closed": {
        "vi": "Đã kết thúc ngày tiêm: {count} người không đến được đưa lại hàng chờ với thứ tự cũ.",
        "en": "The day is closed: {count} people who did not come are back in the queue with their priority.",
    },
    "campaign.done.planned": {
        "vi": "Đã lập kế hoạch {days} ngày: {booked} lịch hẹn mới, {waiting} người còn chờ.",
        "en": "Planned {days} days: {booked} new appointments, {waiting} people still waiting.",
    },
    "campaign.waiting.capacity_full": {
        "vi": "{count} người chờ vì các buổi đã hết chỗ.",
        "en": "{count} people wait because every session is full.",
    },
    "campaign.waiting.no_stock": {
        "vi": "{count} người chờ mũi {dose} vì điểm tiêm hết vắc xin {product} cho mũi này.",
        "en": "{count} people wait for dose {dose}: the site has no {product} left for it.",
    },
    "campaign.waiting.no_stock_any": {
        "vi": "{count} người chờ mũi {dose} vì điểm tiêm không còn vắc xin nào.",
        "en": "{count} people wait for dose {dose}: the site has no vaccine left.",
    },
    "campaign.waiting.not_due_yet": {
        "vi": "{count} người chờ mũi {dose}: vắc xin còn ở điểm tiêm ({product}) cần khoảng cách dài hơn sau mũi trước.",
        "en": "{count} people wait for dose {dose}: the vaccine in stock ({product}) needs a longer interval after their last dose.",
    },
    "campaign.waiting.site_closed": {
        "vi": "{count} người chờ vì điểm tiêm không tiêm ngày này (các buổi đã bị hủy).",
        "en": "{count} people wait because the site does not vaccinate that day (its sessions were cancelled).",
    },
    "campaign.waiting.registered_not_due": {
        "vi": "Ngoài ra {count} người đã đăng ký nhưng chưa đến hạn tiêm (sớm nhất {day}).",
        "en": "Besides, {count} registered people are not due yet (the first on {day}).",
    },
    "campaign.nobody": {"vi": "Chưa có ai trong buổi này.", "en": "Nobody booked in this session."},
    "campaign.no_lot": {
        "vi": "Điểm tiêm không còn lô {product} còn hạn.",
        "en": "The site holds no unexpired lot of {product}.",
    },
    "campaign.day_closed": {
        "vi": "Ngày tiêm đã kết thúc; người không đến đã được đưa lại hàng chờ.",
        "en": "The day is closed; people who did not come are back in the queue.",
    },
    "campaign.close_day": {"vi": "Kết thúc ngày tiêm", "en": "Close the day"},
    "campaign.close_effect": {
        "vi": "Khi kết thúc ngày, {count} người đã hẹn hôm nay mà chưa được tiêm (chưa đến, hoặc đã đến "
        "nhưng chưa tiêm) được tính là không đến: lịch hẹn hôm nay của họ kết thúc và họ trở lại hàng chờ "
        "với thứ tự ưu tiên cũ. Không thể hoàn tác.",
        "en": "Closing the day marks the {count} people booked today who have no dose yet (not come, or "
        "come but not vaccinated) as not come: today's appointment ends and they go back to the queue "
        "with their priority. This cannot be undone.",
    },
    "campaign.close_effect_none": {
        "vi": "Mọi người đã hẹn hôm nay đều đã được tiêm hoặc đã ghi là không đến: kết thúc ngày không đưa "
        "ai trở lại hàng chờ.",
        "en": "Everyone booked today has had their dose or is marked as not come: closing the day sends "
        "nobody back to the queue.",
    },
    "campaign.close_early": {
        "vi": "Chưa đến giờ tiêm: buổi đầu tiên hôm nay bắt đầu lúc {start}. Nếu kết thúc ngày bây giờ, "
        "{count} người đã hẹn hôm nay mà chưa được tiêm sẽ không được tiêm hôm nay.",
        "en": "No session has started yet: the first one today begins at {start}. If you close the day "
        "now, the {count} people booked today without a dose yet are not vaccinated today.",
    },
    "campaign.close_confirm_early": {
        "vi": "Tôi hiểu chưa buổi nào bắt đầu và vẫn kết thúc ngày: {count} người trở lại hàng chờ",
        "en": "I understand no session has started and close the day anyway: {count} people go back to "
        "the queue",
    },
    "campaign.close_confirm": {
        "vi": "Tôi xác nhận: ai còn trong danh sách mà chưa tiêm là không đến",
        "en": "I confirm: whoever is still on the list without a dose did not come",
    },
    "campaign.province_title": {"vi": "Kế hoạch tiêm của tỉnh", "en": "The province's vaccination plan"},
    "campaign.no_sites": {"vi": "Tỉnh chưa có điểm tiêm nào.", "en": "The province has no site yet."},
    "campaign.site_status.open": {"vi": "đang hoạt động", "en": "open"},
    "campaign.site_status.paused": {"vi": "tạm dừng", "en": "paused"},
    "campaign.span": {"vi": "Lập kế hoạch cho", "en": "Plan"},
    "campaign.one_day": {"vi": "Một ngày", "en": "One day"},
    "campaign.stock_page": {"vi": "Xem tồn kho và phân bổ lô", "en": "See stock and lot allocation"},
    "campaign.stock_line": {
        "vi": "còn trống {free} (trong kho {on_hand}, đã hẹn {booked})",
        "en": "{free} free ({on_hand} on hand, {booked} booked)",
    },
    "campaign.priority_intro": {
        "vi": "Số người đang chờ tiêm theo nhóm ưu tiên, và ngày tiêm tới dự kiến đến lượt ai. Không có "
        "thông tin cá nhân.",
        "en": "People waiting per priority group, and whom the next day is expected to reach. No personal data.",
    },
    "campaign.choose_ward": {"vi": "Chọn phường/xã", "en": "Choose the ward"},
    "campaign.next_day_places": {
        "vi": "Ngày tiêm tới: {day}, {usable} chỗ có vắc xin phù hợp (trên {free} chỗ trống).",
        "en": "Next vaccination day: {day}, {usable} places with a suitable vaccine (of {free} free places).",
    },
    "campaign.no_vaccine_soon": {
        "vi": "Các điểm tiêm của phường/xã còn chỗ trống, nhưng trong 2 tuần tới không còn vắc xin phù hợp với "
        "mũi mà người đang chờ cần.",
        "en": "The ward's sites have free places, but no vaccine suiting the doses people wait for in the next "
        "2 weeks.",
    },
    "campaign.nobody_reached": {
        "vi": "Chưa ai đang chờ được xếp trong ngày này (vắc xin còn không hợp với mũi họ cần, hoặc chưa đủ "
        "khoảng cách giữa hai mũi).",
        "en": "Nobody waiting is expected to be booked that day (the vaccine in stock does not suit their dose, "
        "or their interval has not passed).",
    },
    "campaign.estimate_basis": {
        "vi": "Cách ước tính: chạy thử kế hoạch với dữ liệu hôm nay: chỗ trống của các buổi tiêm chưa kết thúc "
        "ở các điểm tiêm đang mở của phường/xã, số liều còn trong kho của từng điểm đúng loại vắc xin mà mũi "
        "tiếp theo của người chờ cần (mũi 2 cùng loại mũi 1 hoặc loại được phép phối hợp, đủ khoảng cách), "
        "theo thứ tự xếp lịch. Lịch thực tế do tỉnh lập.",
        "en": "How this is estimated: the planner run ahead on today's data: free places in sessions not yet "
        "over at the ward's open sites, each site's doses in stock of the vaccine each waiting person's next "
        "dose needs (a second dose the first dose's vaccine or an allowed mix, after its interval), in "
        "planning order. The province's planning decides.",
    },
    "campaign.cutoff_group": {
        "vi": "Dự kiến đến nhóm {rank} ({group}), người đăng ký đến ngày {registered}.",
        "en": "Expected to reach group {rank} ({group}), people registered up to {registered}.",
    },
    "campaign.cutoff_later_doses": {
        "vi": "Dự kiến chỉ đủ cho người đến hạn mũi 2 trở lên, đăng ký đến ngày {registered}.",
        "en": "Expected to reach only people due for a second or later dose, registered up to {registered}.",
    },
    "campaign.no_places_soon": {
        "vi": "Chưa có điểm tiêm nào của phường/xã này còn chỗ trong 2 tuần tới.",
        "en": "No site of this ward has places in the next 2 weeks.",
    },
    "campaign.waiting_by_group": {
        "vi": "Số người chờ theo nhóm ưu tiên",
        "en": "People waiting by priority group",
    },
    "campaign.later_doses": {
        "vi": "Trong đó {count} người đến hạn mũi 2 trở lên (được xếp lịch trước).",
        "en": "Of these, {count} are due for a second or later dose (booked first).",
    },
    "campaign.small_counts": {
        "vi": 'Số từ 1 đến {small_minus} hiện là "< {small}" để không ai bị nhận ra; tổng khi đó là số tối thiểu.',
        "en": 'Counts of 1 to {small_minus} show as "< {small}" so that nobody can be recognised; the total is then a minimum.',
    },
    "campaign.your_family_places": {"vi": "Thứ tự của gia đình bạn", "en": "Your family's places"},
    "error.campaign_place_choice": {
        "vi": "Nơi muốn tiêm đã chọn không có trong danh sách. Chọn lại trong danh sách.",
        "en": "The place chosen is not in the list. Choose one from the list.",
    },
    "error.campaign_slot_choice": {
        "vi": "Chưa chọn buổi tiêm mới. Chọn một buổi trong danh sách rồi bấm đổi lịch.",
        "en": "No new session chosen. Choose one from the list, then move.",
    },
    "error.campaign_close_early": {
        "vi": "Ngày tiêm chưa kết thúc vì chưa buổi nào bắt đầu (buổi đầu tiên lúc {start}) và {count} người "
        "đã hẹn sẽ trở lại hàng chờ. Nếu thật sự muốn kết thúc bây giờ, đánh dấu ô «Tôi hiểu chưa buổi nào "
        "bắt đầu» rồi bấm lại.",
        "en": "The day was not closed: no session has started yet (the first begins at {start}) and {count} "
        "people booked would go back to the queue. If you really mean to close it now, tick “I understand "
        "no session has started” and press again.",
    },
    "error.campaign_close_confirm": {
        "vi": "Hãy đánh dấu ô xác nhận trước khi kết thúc ngày tiêm.",
        "en": "Tick the confirmation box before closing the day.",
    },
    "nav.today": {"vi": "Hôm nay", "en": "Today"},
    "nav.campaign_plan": {"vi": "Kế hoạch tiêm", "en": "Planning"},
    "nav.priority": {"vi": "Thứ tự ưu tiên", "en": "Priority list"},
    "nav.vaccination": {"vi": "Đăng ký và lịch tiêm", "en": "Register and appointments"},
    "field.first_day": {"vi": "Ngày bắt đầu", "en": "First day"},
    "campaign.sessions_free": {"vi": "{count} buổi còn chỗ", "en": "sessions with places: {count}"},
    "campaign.change_capacity": {"vi": "Đổi số chỗ mỗi buổi", "en": "Change the places per session"},
    "campaign.capacity_of": {
        "vi": "{session} {start}–{end}: số chỗ",
        "en": "{session} {start}–{end}: places",
    },
    "campaign.capacity_help": {
        "vi": "Từ 1 đến 2.000 người mỗi buổi. Các ngày đã lập kế hoạch giữ số chỗ cũ.",
        "en": "1 to 2,000 people per session. Days already planned keep their places.",
    },
    "campaign.save_capacity": {"vi": "Lưu số chỗ", "en": "Save the places"},
    "campaign.done.capacity": {"vi": "Đã lưu số chỗ mỗi buổi.", "en": "The places per session are saved."},
    "field.capacity": {"vi": "Số chỗ", "en": "Places"},
    "campaign.cancel_title": {"vi": "Hủy lịch tiêm", "en": "Cancel the appointment"},
    "campaign.cancel_explain": {
        "vi": "Chỗ của bạn được trả lại cho người khác. Bạn vẫn giữ thứ tự trong hàng chờ và sẽ nhận lịch mới, "
        "trừ khi chọn rút khỏi hàng chờ.",
        "en": "Your place goes to someone else. You keep your place in the queue and get a new appointment, "
        "unless you choose to leave the queue.",
    },
    "campaign.cancel_confirm": {"vi": "Xác nhận hủy lịch", "en": "Yes, cancel it"},
    "campaign.cancel_nothing": {
        "vi": "Lịch hẹn này không còn để hủy (đã đến, đã tiêm hoặc đã hủy).",
        "en": "This appointment can no longer be cancelled (arrived, vaccinated or cancelled).",
    },
    "campaign.keep": {"vi": "Giữ lịch và quay lại", "en": "Keep it and go back"},
    "campaign.upcoming": {"vi": "Lịch tiêm sắp tới", "en": "Next appointment"},
}
