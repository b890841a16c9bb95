"""Background jobs (django-tasks, carried out by `manage.py db_worker`)."""

from django_tasks import task

from . import services


@task()
def build_report_job(job_id: str, base_url: str = "") -> None:
    """Build a report the office asked for on a page (services.request_build)."""
    services.run_job(job_id, base_url)
