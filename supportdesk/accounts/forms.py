"""Forms of the people pages: sign in, password reset, invitations and preferences."""

from functools import cache
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils.translation import gettext_lazy as _

from supportdesk.accounts.choices import GRANTABLE_ROLES, ContactRole
from supportdesk.accounts.models import User


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    error_messages = {
        "invalid_login": _("Your email and password didn't match. Please try again."),
        "inactive": _("This account is inactive."),
    }


class ResetForm(PasswordResetForm):
    """Also for a registered contact who never had a password: the mail proves the address."""

    def get_users(self, email: str):
        return User.objects.filter(email__iexact=email.strip(), is_active=True)


class InvitationForm(forms.Form):
    """One person; the service normalises the number and checks the extension is free."""

    email = forms.EmailField(label=_("Email"))
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=GRANTABLE_ROLES, initial=ContactRole.MEMBER)
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=32,
        required=False,
        help_text=_("In international form, like +48221000101."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    extension = forms.RegexField(
        label=_("Extension"),
        regex=r"^[0-9]{1,8}$",
        required=False,
        error_messages={"invalid": _("An extension is up to 8 digits.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    language = forms.ChoiceField(
        label=_("Language of the invitation"),
        choices=lambda: settings.LANGUAGES,
        required=False,
    )


class InvitationFileForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "A first line naming the columns email, name, role, phone, extension, language; "
            "then one person a line. Everyone is invited, or no one if a line is wrong."
        ),
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=GRANTABLE_ROLES)


class OwnerCodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Code from the email"),
        regex=r"^\s*[0-9]{6}\s*$",
        error_messages={"invalid": _("The code has 6 digits.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )


class PasswordFields(forms.Form):
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not a common password."),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            try:
                password_validation.validate_password(first)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class AcceptInvitationForm(PasswordFields):
    name = forms.CharField(label=_("Your name"), max_length=200)

    field_order = ["name", "password1", "password2"]


class OwnerAccountForm(PasswordFields):
    name = forms.CharField(label=_("Your name"), max_length=200)

    field_order = ["name", "password1", "password2"]


@cache
def _zones() -> list[tuple[str, str]]:
    names = sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))
    return [("UTC", "UTC"), *((z, z.replace("_", " ")) for z in names)]


class PreferencesForm(forms.Form):
    timezone = forms.ChoiceField(label=_("Time zone"), choices=_zones)
    language = forms.ChoiceField(label=_("Language"), choices=lambda: settings.LANGUAGES)
