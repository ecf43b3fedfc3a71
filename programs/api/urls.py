from django.urls import path

from programs.api import views

urlpatterns = [
    path("program", views.ProgramView.as_view(), name="program"),
    path("languages", views.LanguagesView.as_view(), name="languages"),
]
