from django.urls import path

from portal.environments import views

app_name = "environments"
urlpatterns = [
    path("", views.environment_list, name="list"),
    path("export.csv", views.environment_export, name="export"),
    path("<int:pk>/", views.environment_detail, name="detail"),
    path("<int:pk>/force-unlock/", views.environment_force_unlock, name="force-unlock"),
    path("<int:pk>/state/<int:version_pk>/", views.state_version_download, name="state-download"),
]
