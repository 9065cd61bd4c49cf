from django import forms


class ProfileForm(forms.Form):
    full_name = forms.CharField(max_length=150, required=False, label="Name")


class CodeForm(forms.Form):
    """A code from the authenticator app (6 digits) or a backup code."""

    code = forms.CharField(
        max_length=32,
        label="Code",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "text"}
        ),
    )


class ReauthForm(forms.Form):
    """The password or a current code, asked before a change to two-factor sign-in."""

    password = forms.CharField(
        required=False,
        label="Your password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        required=False,
        max_length=32,
        label="or a current code",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )


class DisableTwoFactorForm(ReauthForm):
    def clean(self):
        data = super().clean()
        if not data.get("password") and not data.get("code"):
            raise forms.ValidationError("Enter your password or a current code to turn it off.")
        return data
