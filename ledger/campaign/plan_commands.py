"""Use cases on day plans, composed: booking and cancelling (`booking_commands`), and check-in, the
day's end and the doses given at appointments (`attendance_commands`). Moving is in move_commands.
"""

from __future__ import annotations

from ledger.campaign.attendance_commands import AttendanceCommands
from ledger.campaign.booking_commands import Booked, BookingCommands


class PlanCommands(BookingCommands, AttendanceCommands):
    """Book, cancel, check in, close the day, record the dose (moving is in move_commands)."""


__all__ = ["AttendanceCommands", "Booked", "BookingCommands", "PlanCommands"]
