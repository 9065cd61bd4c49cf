"""Superseded by `{% load formatting %}` (core.templatetags.formatting); kept only so a
template still loading `humanize_money` renders the same filters. Delete once none does."""

from django import template

from core.templatetags.formatting import kmoney, money, qty

register = template.Library()
register.filter("qty", qty)
register.filter("money", money)
register.filter("kmoney", kmoney)
