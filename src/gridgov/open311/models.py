"""Open311 clients, what they sent beside the case, and idempotent POST records (DESIGN.md section 6).

Nothing here is ever shown in a GET response except ``Submission.media_url``.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiKey(models.Model):
    """One client's key. Only the SHA-256 of the key is stored, plus its first characters
    (``prefix``) so that people can tell keys apart and revoke one by naming it."""

    name = models.CharField(_("client name"), max_length=100, unique=True)
    prefix = models.CharField(_("key prefix"), max_length=16, db_index=True)
    hashed_key = models.CharField(_("hashed key"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Submission(models.Model):
    """One POST: queued as it arrives, then taken in as a case by the intake worker.

    The POST writes only this row and answers with its token; the worker creates the cases of
    many queued submissions in one transaction (see ``services.take_in_queued``). ``report``
    holds the validated request until then, and is emptied once the case (which keeps the
    reporter's details) exists. ``device_id`` and ``account_id`` identify the reporter and stay
    private. A retry carrying the same ``Idempotency-Key`` gets ``response`` back (the first
    answer); the unique constraint makes a concurrent duplicate fail instead of queueing twice.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        CREATED = "created", _("case created")
        REFUSED = "refused", _("refused")

    case = models.OneToOneField(
        "cases.Case", verbose_name=_("case"), on_delete=models.CASCADE, related_name="open311_submission", null=True, blank=True
    )
    api_key = models.ForeignKey(ApiKey, verbose_name=_("API key"), on_delete=models.PROTECT, related_name="submissions")
    token = models.CharField(_("token"), max_length=32, unique=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    report = models.JSONField(_("report as received"), default=dict, blank=True)
    refusal = models.CharField(_("reason refused"), max_length=500, blank=True)
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)
    device_id = models.CharField(_("device ID"), max_length=100, blank=True)
    account_id = models.CharField(_("account ID"), max_length=100, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, blank=True)
    fingerprint = models.CharField(_("fingerprint"), max_length=64, blank=True)
    response = models.JSONField(_("response sent"), default=list, blank=True)
    created_at = models.DateTimeField(_("received"), auto_now_add=True)
    processed_at = models.DateTimeField(_("taken in"), null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 submission")
        verbose_name_plural = _("Open311 submissions")
        constraints = [
            models.UniqueConstraint(
                fields=["api_key", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="open311_idempotency_key_unique",
            )
        ]
        indexes = [models.Index(fields=["id"], condition=models.Q(state="queued"), name="open311_queued")]
