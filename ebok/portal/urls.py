"""The portal's pages. Public: home, help, accessibility statement, registration, login, password reset and
the website's reading form. Everything else needs a logged-in customer with an activated account."""

from django.contrib.auth import views as auth_views
from django.urls import path

from ebok.portal.views import account, customer, public, readings, unsubscribe

app_name = "portal"
urlpatterns = [
    # public
    path("", public.home, name="home"),
    path("accessibility/", public.accessibility, name="accessibility"),
    path("help/", public.help_index, name="help"),
    path("help/<slug:topic>/", public.help_topic, name="help_topic"),
    path("reading/", readings.website_reading, name="website_reading"),
    # accounts
    path("register/", account.register, name="register"),
    path("register/sent/", account.register_sent, name="register_sent"),
    path("register/confirm/<uidb64>/<token>/", account.confirm_email, name="confirm_email"),
    path("login/", account.PortalLoginView.as_view(), name="login"),
    path("login/code/", account.LoginCodeView.as_view(area=account.PORTAL), name="login_code"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", account.account_status, name="account"),
    path("account/two-step/", account.twofactor_settings, name="twofactor"),
    path("account/two-step/setup/", account.LoginSetupView.as_view(area=account.PORTAL), name="login_setup"),
    path("password/reset/", account.PortalPasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="portal/account/password_reset_sent.html"),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        account.PortalPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="portal/account/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("password/change/", account.PortalPasswordChangeView.as_view(), name="password_change"),
    # the customer's own data
    path("panel/", customer.dashboard, name="dashboard"),
    path("panel/switch/", customer.switch_customer, name="switch_customer"),
    path("panel/data/change/", customer.change_request, name="change_request"),
    path("invoices/", customer.invoices, name="invoices"),
    path("invoices/<int:invoice_id>/", customer.invoice_detail, name="invoice"),
    path("invoices/<int:invoice_id>/pdf/", customer.invoice_pdf, name="invoice_pdf"),
    path("payments/", customer.payments, name="payments"),
    path("consents/", customer.consents, name="consents"),
    path("points/<int:point_id>/", customer.point_detail, name="point"),
    path("points/<int:point_id>/reading/", readings.submit_reading, name="submit_reading"),
    path("readings/submitted/<slug:key>/", readings.submission_result, name="submission_result"),
    path("readings/<int:reading_id>/photo/", readings.attach_photo, name="reading_photo"),
    path("unsubscribe/<str:token>/", unsubscribe.unsubscribe_link, name="unsubscribe"),
]
