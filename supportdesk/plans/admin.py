from django.contrib import admin

from supportdesk.plans.models import BusinessCalendar, Contract, Plan, SlaTarget


class TargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "calendar", "designated_only", "breach_credit_hours"]
    inlines = [TargetInline]


admin.site.register(BusinessCalendar, list_display=["slug", "timezone", "country", "brand"])
admin.site.register(Contract, list_display=["organization", "plan", "start", "end"])
