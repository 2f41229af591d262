from django.urls import path

from portal.catalog import views

app_name = "catalog"
urlpatterns = [
    path("", views.catalog_list, name="list"),
    path("<slug:slug>/", views.blueprint_detail, name="detail"),
    path("<slug:slug>/<str:version>/diagram.svg", views.blueprint_diagram, name="diagram"),
    path("<slug:slug>/compare/", views.blueprint_compare, name="compare"),
]
