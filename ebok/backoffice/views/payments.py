"""Back-office: payments (built in issue #7)."""

urlpatterns: list = []
