import pytest

from loyalty.ops.tests.helpers import RedisServer


@pytest.fixture
def redis_server(tmp_path):
    """A throwaway redis-server of the test's own (stopped after it)."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.kill()
