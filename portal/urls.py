"""The root URLconf. It sits above every app, so it may join pages of a higher app into a lower
app's addresses: the request form (requests app) is served under /catalog/ (`catalog:request`,
`catalog:request-validate`), and the drift check
(runs app) under /environments/ (`environments:drift-check`)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal.accounts import views as account_views
from portal.api import urls as api_urls
from portal.catalog import urls as catalog_urls
from portal.catalog import views as catalog_views
from portal.environments import state_views
from portal.environments import urls as environment_urls
from portal.requests import form_views
from portal.runs import views as run_views
from portal.web import views as web_views

catalog_patterns = [
    *catalog_urls.urlpatterns,
    path("<slug:slug>/request/", form_views.request_new, name="request"),
    path("<slug:slug>/request/validate/", form_views.request_validate, name="request-validate"),
]
environment_patterns = [
    *environment_urls.urlpatterns,
    path("<int:pk>/drift-check/", run_views.environment_drift_check, name="drift-check"),
]

urlpatterns = [
    path("", web_views.home, name="home"),
    path("healthz", web_views.healthz, name="healthz"),
    path("login/", account_views.login, name="login"),
    # Single sign-on (404 unless OIDC_RP_CLIENT_ID is set); the names are mozilla-django-oidc's.
    path("oidc/authenticate/", account_views.sso_authenticate, name="oidc_authentication_init"),
    path("oidc/callback/", account_views.sso_callback, name="oidc_authentication_callback"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("catalog/", include((catalog_patterns, catalog_urls.app_name))),
    path("toolchain/", catalog_views.toolchain, name="toolchain"),
    path("toolchain/configure/", catalog_views.toolchain_configure, name="toolchain-configure"),
    path("requests/", include("portal.requests.urls")),
    path("environments/", include((environment_patterns, environment_urls.app_name))),
    path("runs/", include("portal.runs.urls")),
    path("dr/", include("portal.dr.urls")),
    path("state/<int:pk>", state_views.terraform_state, name="terraform-state"),
    path("audit/", include("portal.audit.urls")),
    path("policies/", include("portal.policies.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_urls.api_patterns, "api"))),
    path("profile/", include((api_urls.profile_patterns, "profile"))),
]
