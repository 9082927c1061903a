from django.urls import path

from syncs.views import home

urlpatterns = [
    path("", home.home, name="home"),
]
