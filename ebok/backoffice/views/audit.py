"""Back-office: audit (built in issue #7)."""

urlpatterns: list = []
