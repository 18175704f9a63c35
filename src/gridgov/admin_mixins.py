"""Admin building blocks shared by the apps."""


class ReadOnlyAdminMixin:
    """For records that only services write (audit events, counters): view, never edit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
