"""Back-office: readings (built in issue #7)."""

urlpatterns: list = []
