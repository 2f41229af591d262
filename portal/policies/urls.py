from django.urls import path

from portal.policies import views

app_name = "policies"
urlpatterns = [
    path("", views.policy_list, name="list"),
    path("test/", views.policy_test, name="test"),
]
