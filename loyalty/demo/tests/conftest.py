import pytest
from django.test import override_settings


@pytest.fixture(autouse=True)
def media_root(tmp_path):
    """load_demo uploads the gift pictures: into the test's own directory, never the project's media/."""
    root = tmp_path / "media"
    with override_settings(MEDIA_ROOT=root):
        yield root
