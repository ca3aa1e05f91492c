"""Back-office: tariffs (built in issue #7)."""

urlpatterns: list = []
