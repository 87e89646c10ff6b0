"""Campaign operations on the web: the JSON API (sites, planning, the day's list, stock, the public
priority list, the citizen's registration and appointments, the SMS gateway's inbound replies) and
the pages that use the same services (the site's list of the day, the public priority list).

Who may do what: site staff work their own site's day; province officers their province's sites;
citizens their own family's registrations and appointments; the SMS gateway authenticates inbound
replies with its shared secret (IMMUNIZE_SMS_INBOUND_SECRET), compared in constant time.

By what they hold: `common` (the blueprints, the service, the caller as the ledger's actor, an
error's sentence), `json_api`, `vaccination` (the citizen's pages), `priority` (the public list),
`today` (site staff) and `province` (province officers' planning).
"""

# Importing the modules attaches their routes to the two blueprints (app.register_blueprint follows).
from web.views.campaign import json_api, priority, province, today, vaccination  # noqa: F401
from web.views.campaign.common import _failed, _principal, api, pages, product_name, service, staff_actor
from web.views.campaign.json_api import sms_inbound

__all__ = ["_failed", "_principal", "api", "pages", "product_name", "service", "sms_inbound", "staff_actor"]
