"""Admin pieces with no domain in them, for any app's admin.py."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """A list to read, filter and search, and each row's page, with nothing to add, change or delete:
    for records an app writes only through its services (its pages say where)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
