from django.urls import path

from portal.requests import views

app_name = "requests"
urlpatterns = [
    path("", views.request_list, name="list"),
    path("export.csv", views.request_export, name="export"),
    path("approvals/", views.approval_queue, name="queue"),
    path("<int:pk>/", views.request_detail, name="detail"),
    path("<int:pk>/submit/", views.request_submit, name="submit"),
    path("<int:pk>/replan/", views.request_replan_view, name="replan"),
    path("<int:pk>/cancel/", views.request_cancel_view, name="cancel"),
    path("<int:pk>/decide/", views.request_decide, name="decide"),
    path("destroy/<int:env_pk>/", views.environment_destroy, name="destroy"),
]
