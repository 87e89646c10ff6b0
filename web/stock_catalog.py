"""The stock pages' texts in Vietnamese and English (merged into web.catalog.CATALOG)."""

from __future__ import annotations

STOCK_CATALOG: dict[str, dict[str, str]] = {
    "nav.stock": {"vi": "Kho vắc xin", "en": "Vaccine stock"},
    "stock.title": {"vi": "Kho vắc xin", "en": "Vaccine stock"},
    "stock.receive": {
        "vi": "Nhập lô vắc xin vào kho tỉnh",
        "en": "Receive a shipment into the province store",
    },
    "stock.receive_button": {"vi": "Nhập kho", "en": "Receive"},
    "stock.lot_number": {"vi": "Số lô", "en": "Lot number"},
    "stock.doses_per_vial": {"vi": "Số liều mỗi lọ", "en": "Doses per vial"},
    "stock.doses_per_vial_help": {
        "vi": "Ghi theo nhãn lọ: 1 cho lọ đơn liều, ví dụ 10 cho lọ AstraZeneca 10 liều.",
        "en": "From the vial label: 1 for a single-dose vial, e.g. 10 for a 10-dose AstraZeneca vial.",
    },
    "stock.quantity": {"vi": "Số lượng", "en": "Quantity"},
    "stock.unit": {"vi": "Tính theo", "en": "Counted in"},
    "stock.vials": {"vi": "Số lọ", "en": "Vials"},
    "stock.doses": {"vi": "Số liều", "en": "Doses"},
    "stock.allocate": {"vi": "Phân bổ cho điểm tiêm", "en": "Allocate to a site"},
    "stock.allocate_button": {"vi": "Phân bổ", "en": "Allocate"},
    "stock.store_lot": {"vi": "Lô trong kho", "en": "Lot in the store"},
    "stock.vials_left": {"vi": "còn {vials} lọ ({doses} liều)", "en": "{vials} vials left ({doses} doses)"},
    "stock.nothing_to_allocate": {
        "vi": "Chưa có lô nào trong kho để phân bổ, hoặc tỉnh chưa có điểm tiêm.",
        "en": "No lot in the store to allocate yet, or the province has no site.",
    },
    "stock.store": {"vi": "Kho tỉnh", "en": "Province store"},
    "stock.received": {"vi": "Đã nhận", "en": "Received"},
    "stock.allocated": {"vi": "Đã phân bổ", "en": "Allocated"},
    "stock.in_store": {"vi": "Còn trong kho", "en": "In store"},
    "stock.no_store_lots": {"vi": "Kho chưa có lô nào.", "en": "The store holds no lot yet."},
    "stock.at_sites": {"vi": "Tại các điểm tiêm", "en": "At the sites"},
    "stock.used": {"vi": "Đã tiêm", "en": "Used"},
    "stock.wasted": {"vi": "Hủy bỏ", "en": "Wasted"},
    "stock.left": {"vi": "Còn lại", "en": "Left"},
    "stock.open": {"vi": "{doses} liều trong lọ đã mở", "en": "{doses} in opened vials"},
    "stock.no_site_lots": {"vi": "Chưa có lô nào được phân bổ.", "en": "No lot allocated yet."},
    "stock.none_left": {
        "vi": "Không còn liều nào tại điểm tiêm: mọi lô đã dùng hết.",
        "en": "No dose left at the sites: every lot is used up.",
    },
    "stock.used_up": {"vi": "Lô đã dùng hết ({count})", "en": "Lots used up ({count})"},
    "stock.allocation_vs_use": {"vi": "Phân bổ và sử dụng", "en": "Allocation and use"},
    "stock.province_col": {"vi": "Tỉnh", "en": "Province"},
    "stock.at_sites_col": {"vi": "Còn tại điểm tiêm", "en": "Left at sites"},
    "done.stock_received": {"vi": "Đã nhập lô {lot} vào kho.", "en": "Lot {lot} is in the store."},
    "done.stock_allocated": {"vi": "Đã phân bổ {vials} lọ.", "en": "{vials} vials allocated."},
    "stock.return": {"vi": "Trả lọ chưa mở về kho tỉnh", "en": "Return unopened vials to the store"},
    "stock.return_help": {
        "vi": "Chỉ trả lọ còn nguyên (chưa mở); lọ đã mở được tính hết trong ngày.",
        "en": "Only whole vials never opened go back; an opened vial is used up or wasted that day.",
    },
    "stock.site_lot": {"vi": "Lô tại điểm tiêm", "en": "Lot at the site"},
    "stock.sealed_left": {
        "vi": "còn {vials} lọ chưa mở ({doses} liều)",
        "en": "{vials} unopened vials ({doses} doses)",
    },
    "stock.return_button": {"vi": "Trả về kho", "en": "Return"},
    "stock.nothing_to_return": {
        "vi": "Không có lọ chưa mở nào để trả về kho.",
        "en": "No unopened vial to return.",
    },
    "stock.returned": {"vi": "Đã trả về kho", "en": "Returned"},
    "stock.at_site_received": {"vi": "nhận tại điểm tiêm", "en": "received at the site"},
    "done.stock_returned": {
        "vi": "Đã trả {vials} lọ về kho tỉnh.",
        "en": "{vials} vials returned to the store.",
    },
}
