"""URLs of the health views: ``path("health/", include("zerodowntime.deploy.urls"))``."""

from django.urls import path

from zerodowntime.deploy.health import live, ready

app_name = "zerodowntime_health"
urlpatterns = [
    path("", live, name="live"),
    path("ready/", ready, name="ready"),
]
