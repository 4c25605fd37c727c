"""Configuration of field service: who the technicians are, which loaners the pool holds.
Visits, repairs and loans are written by their steps on the case page, so they are read only
here."""

from django.contrib import admin

from supportdesk.field.models import Loaner, LoanerIssue, RenewalReminder, Repair, Technician, Visit


@admin.register(Technician)
class TechnicianAdmin(admin.ModelAdmin):
    list_display = ("user",)
    list_select_related = ("user",)
    raw_id_fields = ("user",)


@admin.register(Loaner)
class LoanerAdmin(admin.ModelAdmin):
    list_display = ("serial", "model", "device_class", "brand")
    list_filter = ("device_class", "brand")
    search_fields = ("serial", "model")


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Visit)
class VisitAdmin(ReadOnly):
    list_display = ("case", "technician", "window_start", "arrived_at", "departed_at")
    list_select_related = ("case", "technician")


@admin.register(Repair)
class RepairAdmin(ReadOnly):
    list_display = ("case", "asset", "taken_at", "returned_at")
    list_select_related = ("case", "asset")


@admin.register(LoanerIssue)
class LoanerIssueAdmin(ReadOnly):
    list_display = ("loaner", "case", "contact", "issued_at", "disk_moved", "returned_at")
    list_select_related = ("loaner", "case", "contact")


@admin.register(RenewalReminder)
class RenewalReminderAdmin(ReadOnly):
    list_display = ("contract", "contract_end", "sent_at", "task")
    list_select_related = ("contract", "contract__organization", "contract__plan", "task")
