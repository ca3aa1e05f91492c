"""Back-office: invoices (built in issue #7)."""

urlpatterns: list = []
