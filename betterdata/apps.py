from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class BetterDataConfig(AppConfig):
    default = True
    name = "betterdata"


class ScopedAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "orgs.admin_site.ScopedAdminSite"
