"""A certificate stays as it was issued: the database refuses to change or delete one, whoever asks.
And two staff issuing at the same moment get two different numbers."""

import threading
import time
from datetime import date

import pytest
from django.db import IntegrityError, connection, connections, transaction

from certificates import selectors, services
from certificates.models import Certificate


@pytest.fixture
def certificate(crew, issuer, volunteer, year_of_service):
    return services.issue_certificate(person=volunteer, first=date(2026, 10, 1), last=date(2026, 10, 31),
                                      by=crew["staff"].user)


def test_an_update_is_refused_by_the_database(certificate):
    with pytest.raises(IntegrityError, match="kept as issued"), transaction.atomic():
        Certificate.objects.filter(pk=certificate.pk).update(hours="999.0")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE certificates_certificate SET name = %s WHERE id = %s", ["别人", certificate.pk])
    certificate.refresh_from_db()
    assert str(certificate.hours) == "4.0" and certificate.name == "张志愿"


def test_a_delete_is_refused_by_the_database(certificate):
    with pytest.raises(IntegrityError, match="kept as issued"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM certificates_certificate WHERE id = %s", [certificate.pk])
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.filter(pk=certificate.pk).delete()
    assert Certificate.objects.filter(pk=certificate.pk).exists()


def test_numbers_run_on_within_the_year(crew, issuer, volunteer, year_of_service):
    numbers = [services.issue_certificate(person=volunteer, first=date(2026, 10, 1), last=date(2026, 10, 31),
                                          by=crew["staff"].user).number for _ in range(3)]
    assert numbers == ["张湾志证〔2026〕第0001号", "张湾志证〔2026〕第0002号", "张湾志证〔2026〕第0003号"]


def test_a_new_year_starts_at_one(crew, issuer, volunteer, year_of_service, clock):
    first = services.issue_certificate(person=volunteer, first=date(2026, 10, 1), last=date(2026, 10, 31),
                                       by=crew["staff"].user)
    clock.move_to("2027-01-02 09:00 +08:00")
    second = services.issue_certificate(person=volunteer, first=date(2026, 10, 1), last=date(2026, 10, 31),
                                        by=crew["staff"].user)
    assert (first.number, second.number) == ("张湾志证〔2026〕第0001号", "张湾志证〔2027〕第0001号")
    assert second.issued_on == date(2027, 1, 2)


@pytest.mark.django_db(transaction=True)
def test_two_issues_at_the_same_moment_get_two_numbers(crew, volunteer, year_of_service, monkeypatch):
    """Each issue is held for a moment between choosing its number and storing the certificate
    (the preview's queries): without the year's lock both would take 0001 and one would fail."""
    from tests.support.certificates import set_issuer

    set_issuer()
    real_preview = selectors.preview

    def slow_preview(*args, **kwargs):
        found = real_preview(*args, **kwargs)
        time.sleep(0.5)
        return found

    monkeypatch.setattr(selectors, "preview", slow_preview)
    results, start = [], threading.Barrier(2)

    def issue():
        try:
            start.wait()
            certificate = services.issue_certificate(person=volunteer, first=date(2026, 10, 1), last=date(2026, 10, 31),
                                                     by=crew["staff"].user)
            results.append(certificate.number)
        except Exception as error:  # noqa: BLE001  reported below
            results.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(map(str, results)) == ["张湾志证〔2026〕第0001号", "张湾志证〔2026〕第0002号"], results
    assert Certificate.objects.count() == 2
