"""The reports API, one module per topic; routes in reports/api_urls.py."""
