from django.urls import path

from portal.requests import views

app_name = "requests"
urlpatterns = [
    path("", views.request_list, name="list"),
    path("<int:pk>/", views.request_detail, name="detail"),
    path("<int:pk>/submit/", views.request_submit, name="submit"),
]
