"""Sending notifications through pluggable channels, and reading a user's in-app messages.

``GRIDGOV_NOTIFICATION_CHANNELS`` lists the channel classes by dotted path (default: the in-app
channel only). A channel is any class whose instances have ``send(user, case, kind, text)``;
an SMS or WeCom channel is one more class in that list. Each send runs in its own savepoint and
a failure is logged and counted, so one broken channel (or one bad recipient) never stops the
other channels or the reminder run.
"""

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
MAX_TEXT = 300


class Channel(Protocol):
    def send(self, user: User, case: Case | None, kind: str, text: str) -> None: ...


class InAppChannel:
    """A Notification row the user sees in the web interface."""

    def send(self, user: User, case: Case | None, kind: str, text: str) -> None:
        Notification.objects.create(user=user, case=case, kind=kind, text=text[:MAX_TEXT])


def configured_channels() -> list[Channel]:
    paths = getattr(settings, "GRIDGOV_NOTIFICATION_CHANNELS", None) or DEFAULT_CHANNELS
    return [import_string(path)() for path in paths]


@dataclass
class Delivery:
    sent: int = 0
    failed: int = 0

    def add(self, other: "Delivery") -> None:
        self.sent += other.sent
        self.failed += other.failed


def deliver(users: Iterable[User], case: Case | None, kind: str, text: str, channels: list[Channel] | None = None) -> Delivery:
    """Send one message to each user through every channel; failures are logged, not raised."""
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
                    type(channel).__name__, user.pk, case.number if case else None, kind,
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
