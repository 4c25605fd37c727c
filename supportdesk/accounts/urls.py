from django.contrib.auth import views as auth_views
from django.urls import path

from supportdesk.accounts import views

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", views.ResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        views.ResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("invitations/", views.invitations, name="invitations"),
    path("invitations/file/", views.invitation_file, name="invitation_file"),
    path("invitations/<int:pk>/resend/", views.invitation_resend, name="invitation_resend"),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("people/<int:pk>/role/", views.person_role, name="person_role"),
    path("people/<int:pk>/active/", views.person_active, name="person_active"),
    path("owner/<str:secret>/", views.owner_claim, name="owner_claim"),
    path("invitations/<str:secret>/", views.accept_invitation, name="accept_invitation"),
    path("account/", views.preferences, name="preferences"),
    path("language/", views.switch_language, name="switch_language"),
]
