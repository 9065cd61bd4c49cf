from django import forms


class ProfileForm(forms.Form):
    full_name = forms.CharField(max_length=150, required=False, label="Name")
