from django.urls import path

from supportdesk.channels.voice import views

urlpatterns = [
    path("channels/voice/<slug:kind>", views.step, name="voice_step"),
    path("desk/cases/<int:pk>/call-back", views.call_back, name="case_call_back"),
    path("call-us/", views.call_us, name="call_us"),
    path("desk/phone/calls", views.todays_calls, name="todays_calls"),
    path("desk/phone/calls/<int:pk>/recording", views.recording, name="call_recording"),
    path("desk/phone/simulator", views.simulator_page, name="phone_simulator"),
    path("desk/phone/simulator/step", views.simulator_step, name="phone_simulator_step"),
]
