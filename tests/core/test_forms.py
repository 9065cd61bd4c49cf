"""core.forms: a service's refusal lands on the form; LimitReached is one of them."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.test import RequestFactory, override_settings

from core.entitlements import LimitReached
from core.forms import add_service_error, error_text, form_status, render_form


class SkuForm(forms.Form):
    sku = forms.CharField()


def _bound() -> SkuForm:
    form = SkuForm({"sku": "LB-1"})
    assert form.is_valid()
    return form


def test_a_message_becomes_a_form_error():
    form = _bound()
    add_service_error(form, ValidationError("Enter a SKU."))
    assert form.non_field_errors() == ["Enter a SKU."] and not form.is_valid()


def test_a_list_of_messages():
    form = _bound()
    add_service_error(form, ValidationError(["One.", "Two."]))
    assert form.non_field_errors() == ["One.", "Two."]


def test_a_dict_goes_onto_fields_and_unknown_keys_onto_the_form():
    form = _bound()
    add_service_error(form, ValidationError({"sku": "Taken.", "price": "Negative."}))
    assert form.errors["sku"] == ["Taken."]
    assert form.non_field_errors() == ["Negative."]
    assert "sku" not in form.cleaned_data


def test_limit_reached_is_a_validation_error():
    exc = LimitReached("Your plan includes 1 location.")
    assert isinstance(exc, ValidationError)
    assert str(exc) == exc.message == "Your plan includes 1 location."
    assert exc.messages == ["Your plan includes 1 location."] and exc.code == "limit_reached"
    try:
        raise exc
    except ValidationError as caught:
        assert error_text(caught) == "Your plan includes 1 location."
    form = _bound()
    add_service_error(form, exc)
    assert form.non_field_errors() == ["Your plan includes 1 location."]


def test_error_text_joins_every_message():
    assert error_text(ValidationError(["A.", "B."])) == "A. B."


@override_settings(
    TEMPLATES=[
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [("django.template.loaders.locmem.Loader", {"f.html": "{{ form }}"})]
            },
        }
    ]
)
def test_a_refused_post_is_400_and_a_get_200():
    factory = RequestFactory()
    assert form_status(factory.get("/")) == 200 and form_status(factory.post("/")) == 400
    assert render_form(factory.post("/"), "f.html", {"form": SkuForm()}).status_code == 400
    assert render_form(factory.get("/"), "f.html", {"form": SkuForm()}).status_code == 200
