from django.urls import path

from . import views

app_name = "partnerships"

urlpatterns = [
    path("partnerships/", views.partnership_list, name="partnership_list"),
]
