from django.urls import path

from portal.runs import views

app_name = "runs"
urlpatterns = [
    path("", views.run_list, name="list"),
    path("export.csv", views.run_export, name="export"),
    path("<int:pk>/", views.run_detail, name="detail"),
    path("<int:pk>/log/", views.run_log, name="log"),
    path("<int:pk>/log.txt", views.run_log_download, name="log-download"),
    path("<int:pk>/cancel/", views.run_cancel_view, name="cancel"),
    path("images/", views.image_list, name="images"),
    path("images/<int:pk>/", views.image_detail, name="image"),
    path("images/build/<int:version_pk>/", views.image_build, name="image-build"),
]
