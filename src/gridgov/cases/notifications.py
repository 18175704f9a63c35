"""Sending notifications through pluggable channels, and reading a user's in-app messages.

``GRIDGOV_NOTIFICATION_CHANNELS`` lists the channel classes by dotted path (default: the in-app
channel only). A channel is any class whose instances have ``send(user, case, kind, text)``;
an SMS or WeCom channel is one more class in that list. Each send runs in its own savepoint and
a failure is logged and counted, so one broken channel (or one bad recipient) never stops the
other channels or the reminder run.

Residents are reached the same way, through channels listed in ``GRIDGOV_RESIDENT_CHANNELS``
(default: SMS and e-mail), whose ``send`` takes a ``Contact`` (a phone and/or an e-mail left
with a report or a "me too") instead of a user. The SMS channel hands the text to the gateway
named by ``GRIDGOV_SMS_GATEWAY``, any class with ``send(phone, text)``; the default gateway only
logs, so a district plugs in its operator's gateway without touching this module. E-mail goes
through Django's mail (``EMAIL_*`` settings). Residents only ever receive public text.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from gridgov.accounts.models import User

from .models import Case, Notification

logger = logging.getLogger(__name__)

DEFAULT_CHANNELS = ["gridgov.cases.notifications.InAppChannel"]
DEFAULT_RESIDENT_CHANNELS = ["gridgov.cases.notifications.SmsChannel", "gridgov.cases.notifications.EmailChannel"]
DEFAULT_SMS_GATEWAY = "gridgov.cases.notifications.LoggingSmsGateway"
MAX_TEXT = 300


class Channel(Protocol):
    def send(self, user: User, case: Case | None, kind: str, text: str) -> None: ...


class InAppChannel:
    """A Notification row the user sees in the web interface."""

    def send(self, user: User, case: Case | None, kind: str, text: str) -> None:
        Notification.objects.create(user=user, case=case, kind=kind, text=text[:MAX_TEXT])


def configured_channels(setting: str = "GRIDGOV_NOTIFICATION_CHANNELS", default: list[str] = DEFAULT_CHANNELS) -> list:
    paths = getattr(settings, setting, None) or default
    return [import_string(path)() for path in paths]


# --- residents: a contact instead of a user ----------------------------------------------------


@dataclass(frozen=True)
class Contact:
    """How to reach a resident who is not a user: what they left with a report or a "me too"."""

    phone: str = ""
    email: str = ""


class SmsGateway(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class LoggingSmsGateway:
    """The default gateway: writes the message to the log (the last four digits only), sends nothing."""

    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to ***%s: %s", phone[-4:], text)


def configured_sms_gateway() -> SmsGateway:
    return import_string(getattr(settings, "GRIDGOV_SMS_GATEWAY", None) or DEFAULT_SMS_GATEWAY)()


class SmsChannel:
    """A text message to the contact's phone through the configured gateway."""

    def __init__(self, gateway: SmsGateway | None = None):
        self.gateway = gateway or configured_sms_gateway()

    def send(self, contact: Contact, case: Case | None, kind: str, text: str) -> None:
        if contact.phone:
            self.gateway.send(contact.phone, text)


class EmailChannel:
    """An e-mail through Django's mail, when the contact left an address."""

    def send(self, contact: Contact, case: Case | None, kind: str, text: str) -> None:
        if contact.email:
            from django.core.mail import send_mail

            subject = text if len(text) <= 60 else text[:59] + "…"
            send_mail(subject, text, None, [contact.email])


def deliver_to_residents(
    contacts: Iterable[Contact], case: Case | None, kind: str, text: str, channels: list | None = None
) -> Delivery:
    """Send one public message to each resident contact through every resident channel."""
    if channels is None:
        channels = configured_channels("GRIDGOV_RESIDENT_CHANNELS", DEFAULT_RESIDENT_CHANNELS)
    return deliver(contacts, case, kind, text, channels=channels)


@dataclass
class Delivery:
    sent: int = 0
    failed: int = 0

    def add(self, other: Delivery) -> None:
        self.sent += other.sent
        self.failed += other.failed


def deliver(users: Iterable, case: Case | None, kind: str, text: str, channels: list | None = None) -> Delivery:
    """Send one message to each recipient (a user, or a resident's ``Contact`` for the resident
    channels) through every channel; failures are logged, not raised."""
    channels = configured_channels() if channels is None else channels
    delivery = Delivery()
    for user in users:
        for channel in channels:
            try:
                with transaction.atomic():
                    channel.send(user, case, kind, text)
            except Exception:
                delivery.failed += 1
                logger.exception(
                    "notification channel %s failed: user %s, case %s, kind %s",
                    type(channel).__name__, getattr(user, "pk", "(resident)"), case.number if case else None, kind,
                )  # fmt: skip
            else:
                delivery.sent += 1
    return delivery


# --- the in-app inbox of messages (read side and the one change a user makes) --------------


def unread_notifications(user: User) -> QuerySet[Notification]:
    """The user's unread messages, newest first."""
    return Notification.objects.filter(user=user, read_at__isnull=True).select_related("case").order_by("-created_at", "-id")


def mark_read(user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's messages read (the given ids, or all when ``ids`` is None); returns how many.

    Only the user's own unread messages change; ids of other users' messages are ignored.
    """
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


# --- telling residents of a public change ------------------------------------------------------

# The public steps a resident is told of: every step of the public timeline except the report
# itself (they just made it) and the rating (the reporter's own act).
RESIDENT_NOTICE_EXCLUDED = frozenset({"report", "rate"})


def resident_contacts(case: Case) -> list[Contact]:
    """The reporter's contact (if they left one) and every "me too" subscriber's, one per phone."""
    import re

    contacts, seen = [], set()
    candidates = [(case.reporter_phone, case.reporter_email)]
    candidates += [(s.phone, s.email) for s in case.subscribers.all()]
    for phone, email in candidates:
        phone, email = (phone or "").strip(), (email or "").strip()
        key = re.sub(r"\D", "", phone) or email.lower()
        if not key or key in seen:
            continue
        seen.add(key)
        contacts.append(Contact(phone=phone, email=email))
    return contacts


def is_resident_notice(action: str) -> bool:
    from .presenters import PUBLIC_ACTIONS

    return action in PUBLIC_ACTIONS and action not in RESIDENT_NOTICE_EXCLUDED


def notify_residents_of_step(step_id: int) -> Delivery:
    """Tell the case's residents about one public step, once: the step remembers it was sent,
    so a task run twice (a retry, a duplicate enqueue) sends nothing the second time. The text is
    the step's public text only (its author's public summary or the standard sentence)."""
    from django.utils.translation import gettext as _

    from .models import Step
    from .presenters import step_public_text

    with transaction.atomic():
        step = Step.objects.select_for_update(of=("self",)).select_related("case").filter(pk=step_id).first()
        if step is None or not is_resident_notice(step.action) or (step.data or {}).get("residents_notified"):
            return Delivery()
        step.data = {**(step.data or {}), "residents_notified": True}
        step.save(update_fields=["data"])
    case = step.case
    text = _("Case %(number)s: %(text)s") % {"number": case.number, "text": step_public_text(step)}
    return deliver_to_residents(resident_contacts(case), case, "public_change", text[:MAX_TEXT])
