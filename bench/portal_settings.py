"""The benchmark server's settings: EBOK's own (production through the environment, bench/common.py) with a
URL map that adds the bare dashboard (bench/portal_urls.py). The product's URLs are left untouched."""

from ebok.settings import *  # noqa: F403

ROOT_URLCONF = "portal_urls"
