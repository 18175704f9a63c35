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
    hashed_key = models.CharField(max_length=64, unique=True)
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
    """What one POST brought beside the case: the client, the token, and fields the case has no
    column for. ``device_id`` and ``account_id`` identify the reporter and stay private."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="open311_submission")
    api_key = models.ForeignKey(ApiKey, on_delete=models.PROTECT, related_name="submissions")
    token = models.CharField(max_length=32, unique=True)
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)
    device_id = models.CharField(max_length=100, blank=True)
    account_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 submission")
        verbose_name_plural = _("Open311 submissions")


class IdempotencyRecord(models.Model):
    """The first answer to a POST carrying an ``Idempotency-Key`` header, per client.

    Written in the transaction that creates the case; the unique constraint makes a concurrent
    duplicate fail and roll back its case, so one key never yields two cases.
    """

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="idempotency_records")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["api_key", "key"], name="open311_idempotency_key_unique")]
