"""Back-office: meters (built in issue #7)."""

urlpatterns: list = []
