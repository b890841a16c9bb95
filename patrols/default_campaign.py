"""The district's first service-record target, as its people's congress reported it: 3,200+
cleanups and sewage-network inspections over two years (2025–2026). Plain data, so the data
migration can use it without importing models; the office sets the next campaigns in the admin."""

from datetime import date

NAME = "2025—2026 年服务记录目标"
TARGET = 3200
START = date(2025, 1, 1)
END = date(2026, 12, 31)


def add_first_campaign(ServiceCampaign):
    """Adds the first campaign to a database that has none; never touches what the office set."""
    if not ServiceCampaign.objects.exists():
        ServiceCampaign.objects.create(name=NAME, target=TARGET, start=START, end=END)
