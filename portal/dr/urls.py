from django.urls import path

from portal.dr import views

app_name = "dr"
urlpatterns = [
    path("", views.estate, name="estate"),
    path("estate.csv", views.estate_csv, name="estate-csv"),
    path("<int:pk>/", views.drill_detail, name="drill"),
    path("environments/<int:pk>/start/", views.drill_start_view, name="start"),
    path("environments/<int:pk>/schedule/", views.drill_schedule_view, name="schedule"),
]
