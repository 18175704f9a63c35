"""Session lifetime rules (等保 level 3): an idle timeout and an absolute lifetime.

The session records when it was authenticated and when it was last used; the middleware ends it
when either limit has passed. ``last_seen`` is written at most once a minute
(``ACTIVITY_RESOLUTION_SECONDS``) so that a burst of page loads does not rewrite the session row
on every request; the idle timeout is therefore exact to within that minute.
"""

import time

from django.conf import settings

STARTED_KEY = "gridgov_auth_started"
LAST_SEEN_KEY = "gridgov_last_seen"
ACTIVITY_RESOLUTION_SECONDS = 60


def start_session_clock(session, now: float | None = None) -> None:
    now = time.time() if now is None else now
    session[STARTED_KEY] = now
    session[LAST_SEEN_KEY] = now


def session_expiry_reason(session, now: float | None = None) -> str | None:
    """``"idle"`` or ``"lifetime"`` when the session must end, else None (and the clock moves)."""
    now = time.time() if now is None else now
    started = session.get(STARTED_KEY)
    last_seen = session.get(LAST_SEEN_KEY)
    if started is None or last_seen is None:
        start_session_clock(session, now)  # sessions from before these rules start counting now
        return None
    if now - last_seen > settings.GRIDGOV_IDLE_TIMEOUT_MINUTES * 60:
        return "idle"
    if now - started > settings.GRIDGOV_SESSION_LIFETIME_HOURS * 3600:
        return "lifetime"
    if now - last_seen >= ACTIVITY_RESOLUTION_SECONDS:
        session[LAST_SEEN_KEY] = now
    return None
