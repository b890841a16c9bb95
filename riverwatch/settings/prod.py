from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import env

# Production never runs on a key anyone else knows: the key signs sessions, password-reset links
# and CSRF tokens. It comes from SECRET_KEY, else from the file SECRET_KEY_FILE names (a Docker
# secret, or the key script/docker-entrypoint generates on first start).
KNOWN_SECRET_KEYS = frozenset({
    "dev-only-insecure-key-change-me",  # base.py's development default
    "compose-local-only-change-me-0123456789abcdef",  # docker-compose.yml's former default
    "build-only",  # the Dockerfile's build-time key
})
MIN_SECRET_KEY_LENGTH = 50  # as Django's own check (security.W009)


def _secret_key():
    key = env("SECRET_KEY", default="")
    key_file = env("SECRET_KEY_FILE", default="")
    if not key and key_file:
        try:
            key = Path(key_file).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ImproperlyConfigured(f"SECRET_KEY_FILE {key_file} cannot be read ({error.strerror}).") from None
        if not key:
            raise ImproperlyConfigured(f"SECRET_KEY_FILE {key_file} is empty.")
    if not key:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set in the environment for production (or SECRET_KEY_FILE, a file holding it). "
            "Generate one: python -c 'import secrets; print(secrets.token_urlsafe(64))'"
        )
    if key in KNOWN_SECRET_KEYS or key.startswith(("dev-only-insecure", "compose-local-only", "django-insecure-")):
        raise ImproperlyConfigured(
            "SECRET_KEY is a published default (from base.py, docker-compose.yml or the Dockerfile); "
            "production refuses to start with it. Set a random one of your own."
        )
    if len(key) < MIN_SECRET_KEY_LENGTH or len(set(key)) < 5:
        raise ImproperlyConfigured(
            f"SECRET_KEY is too short or too simple for production: at least {MIN_SECRET_KEY_LENGTH} characters, "
            "random. Generate one: python -c 'import secrets; print(secrets.token_urlsafe(64))'"
        )
    return key


SECRET_KEY = _secret_key()

DEBUG = False
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
# Production runs behind one reverse proxy (nginx, a load balancer) that ends TLS, says so in
# X-Forwarded-Proto and appends the client's address to X-Forwarded-For: the login lockout and the
# token throttle count that address, not the proxy's. Served directly (the compose file), set
# TRUSTED_PROXY_COUNT=0, or every client would share one address and one lock.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT  # noqa: F405
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT else None

# HTTPS only: plain-http requests are redirected, and browsers told to use https for a year (HSTS,
# subdomains too). Behind a proxy that ends TLS, Django sees https only through the proxy's
# X-Forwarded-Proto, which it trusts when TRUSTED_PROXY_COUNT > 0 (SECURE_PROXY_SSL_HEADER above).
# With TRUSTED_PROXY_COUNT=0 and the redirect on, the app must receive the https connection itself:
# behind a TLS-ending proxy every request would look like http and be redirected forever. Served
# over plain http (docker-compose.yml on 127.0.0.1), set SECURE_SSL_REDIRECT=false and
# SECURE_HSTS_SECONDS=0.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Health probes (the image's HEALTHCHECK, an orchestrator) ask over plain http from next to the app;
# /healthz holds nothing secret, and a redirect would fail them.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# Preload lists are hard to leave and bind every subdomain of the domain: the operator's decision,
# off unless set. Django's deployment check asks for it (security.W021); silenced only while off.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = [*globals().get("SILENCED_SYSTEM_CHECKS", []), "security.W021"]
