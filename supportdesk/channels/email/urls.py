from django.urls import path

from supportdesk.channels.email import views

urlpatterns = [
    path("desk/mail/<int:pk>/raw", views.raw_message, name="email_raw"),
    path("mail/files/<str:token>", views.reply_file, name="email_reply_file"),
]
