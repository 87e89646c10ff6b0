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
    "campaign.record_dose": {"vi": "Ghi nhận mũi tiêm", "en": "Record the dose"},
    "campaign.priority_list": {"vi": "Danh sách ưu tiên theo phường/xã", "en": "Priority list by ward"},
    "campaign.ward_code": {"vi": "Mã phường/xã", "en": "Ward code"},
    "campaign.show": {"vi": "Xem", "en": "Show"},
    "campaign.waiting_total": {"vi": "Đang chờ", "en": "Waiting"},
    "campaign.places_per_day": {"vi": "Số chỗ mỗi ngày", "en": "Places per day"},
    "campaign.rank": {"vi": "Thứ tự", "en": "Rank"},
    "campaign.group": {"vi": "Nhóm ưu tiên", "en": "Priority group"},
    "campaign.waiting": {"vi": "Số người chờ", "en": "People waiting"},
    "campaign.cutoff": {
        "vi": "Các chỗ của ngày tiêm tới dừng ở nhóm ưu tiên thứ",
        "en": "The next day's places end within priority rank",
    },
    "campaign.everyone_fits": {
        "vi": "Mọi người đang chờ đều có chỗ trong ngày tiêm tới.",
        "en": "Everyone waiting fits in the next day's places.",
    },
}
