"""What a person is told of their booking: by email with its .ics link, else by text message."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from socle.core.notifications import absolute_url, email_notify

from ._checks import _local
from .describe import booking_place, booking_title
from .models import Booking
from .sms import sms_notify


def _booking_text(booking: Booking) -> str:
    what = booking_title(booking)
    place = booking_place(booking)
    where = f"\nLieu : {place}" if place else ""
    ics = absolute_url(reverse("agendas:booking_ics_secret", args=[booking.secret]))
    return (
        f"{what} — {booking.agenda.title}\nLe {_local(booking.start)} (fin à "
        f"{timezone.localtime(booking.end):%H:%M}).{where}\n\n"
        f"Ajoutez-le à votre agenda : {ics}\n"
        f"Vos réservations : {absolute_url(reverse('agendas:my_bookings'))}"
    )


def _tell(booking: Booking, subject: str, opening: str, short: str = "") -> None:
    if booking.email:
        email_notify(
            to=[booking.email],
            subject=subject,
            body=f"Bonjour {booking.name},\n\n{opening}\n\n{_booking_text(booking)}\n",
        )
    elif booking.phone and short:
        # Registered at the counter with a phone number only: the essentials by text message.
        sms_notify(to=booking.phone, text=f"{short} {booking_title(booking)}, le {_local(booking.start)}.")
