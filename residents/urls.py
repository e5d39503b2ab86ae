from django.urls import path

from residents import views

app_name = "residents"
urlpatterns = [
    path("", views.search, name="search"),
    path("<int:resident_id>/", views.detail, name="detail"),
    path("buildings/<int:building_id>/board/", views.notice_board, name="notice_board"),
    path("imports/", views.import_list, name="import_list"),
    path("imports/template.xlsx", views.import_template, name="import_template"),
    path("imports/<int:import_id>/", views.import_detail, name="import_detail"),
    path("imports/<int:import_id>/errors.xlsx", views.import_errors, name="import_errors"),
    path("export/", views.export, name="export"),
    path("visits/overdue/", views.overdue, name="overdue"),
    path("visits/", views.visits, name="visits"),
    path("my-grid/", views.my_grid, name="my_grid"),
]
