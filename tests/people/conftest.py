import pytest


@pytest.fixture(autouse=True)
def database_for_the_cache(db):
    """The default cache, where the token endpoint's throttle counts, is a database table
    (settings.CACHES, shared by every worker). Every test here has the database before its own
    fixtures run, so one that clears the cache first (test_login_lockout's) can; the test's
    transaction then rolls the counts back with everything else."""
