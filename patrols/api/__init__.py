"""The activities API, one module per resource (routes in patrols/api_urls.py). The views stay thin:
parameters and bodies are read by serializers, checked and turned into a submission by
patrols.submissions, written by patrols.services, read by patrols.selectors."""
