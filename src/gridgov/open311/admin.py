from django.contrib import admin

from .models import ApiKey, Submission


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Read-only: keys are created and revoked with ``gridgov apikey`` so the plain key is shown once."""

    list_display = ["name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["name", "prefix", "created_at", "last_used_at", "revoked_at"]
    exclude = ["hashed_key"]
    search_fields = ["name", "prefix"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["token", "state", "case", "api_key", "created_at", "processed_at"]
    list_filter = ["state"]
    list_select_related = ["case", "api_key"]
    fields = ("token", "state", "case", "refusal", "api_key", "media_url", "created_at", "processed_at")
    readonly_fields = fields

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
