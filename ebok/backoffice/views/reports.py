"""Back-office: reports (built in issue #7)."""

urlpatterns: list = []
