from django.urls import path

from supportdesk.channels.sms import views

urlpatterns = [
    path("channels/sms/incoming", views.incoming, name="sms_incoming"),
    path("channels/sms/text-me", views.text_me, name="sms_text_me"),
]
