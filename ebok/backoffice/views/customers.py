"""Back-office: customers (built in issue #7)."""

urlpatterns: list = []
