from django.contrib.auth import views as auth_views
from django.urls import path

from ebok.backoffice import views
from ebok.portal.forms import PortalLoginForm

app_name = "backoffice"
urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="backoffice/login.html",
            authentication_form=PortalLoginForm,
            next_page="backoffice:activations",
        ),
        name="login",
    ),
    path("", views.activations, name="activations"),
    path("activations/<int:registration_id>/", views.activation_decide, name="activation_decide"),
]
