from django.apps import AppConfig


class RlsConfig(AppConfig):
    name = "rls"
    verbose_name = "Row-level security"
