from django.urls import path

from supportdesk.channels.chat import views

urlpatterns = [
    path("chat/send", views.send, name="chat_send"),
    path("chat/<int:pk>/person", views.person, name="chat_person"),
    path("chat/<int:pk>/messages", views.poll, name="chat_poll"),
    path("chat/<int:pk>/email", views.visitor_email, name="chat_email"),
    path("write/", views.write, name="chat_write"),
    path("chat/<int:pk>/leave", views.leave, name="chat_leave"),
    path("desk/chats/", views.desk_list, name="desk_chats"),
    path("desk/chats/<int:pk>/", views.desk_chat, name="desk_chat"),
    path("desk/chats/<int:pk>/messages", views.desk_messages, name="desk_chat_messages"),
    path("desk/chats/<int:pk>/take", views.desk_take, name="desk_chat_take"),
    path("desk/chats/<int:pk>/send", views.desk_send, name="desk_chat_send"),
    path("desk/chats/<int:pk>/close", views.desk_close, name="desk_chat_close"),
]
