from django.contrib import admin

from supportdesk.plans.models import BusinessCalendar, Contract, HourPack, Plan, SlaTarget


class TargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "calendar", "designated_only", "breach_credit_hours"]
    inlines = [TargetInline]


admin.site.register(BusinessCalendar, list_display=["slug", "timezone", "country"])
admin.site.register(Contract, list_display=["organization", "plan", "start", "end"])
admin.site.register(HourPack, list_display=["organization", "kind", "hours"])
