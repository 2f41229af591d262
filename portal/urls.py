from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal.core import views as core_views
from portal.environments import state_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("catalog/", include("portal.catalog.urls")),
    path("requests/", include("portal.requests.urls")),
    path("environments/", include("portal.environments.urls")),
    path("runs/", include("portal.runs.urls")),
    path("dr/", include("portal.dr.urls")),
    path("state/<int:pk>", state_views.terraform_state, name="terraform-state"),
    path("audit/", include("portal.audit.urls")),
    path("policies/", include("portal.policies.urls")),
    path("admin/", admin.site.urls),
]
