"""Back-office: debtors (built in issue #7)."""

urlpatterns: list = []
