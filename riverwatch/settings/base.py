"""Settings shared by every environment. Values come from the environment (django-environ)."""

from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A local .env is convenient for development; real deployments set the environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "rest_framework",
    "knox",  # API tokens for scripts, stored hashed, with an expiry: see "API tokens and sessions" below
    "rest_framework_gis",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "leaflet",
    "axes",  # failed-login lockout: see "Login lockout" below
    "people",
    "waterways",
    "patrols",
    "certificates",  # volunteer service certificates (志愿服务证明) and star levels: docs/certificates.md
    "problems",  # the closed-loop problem list (problems.md)
    "points",  # the points scheme (积分制): rules, the ledger, redemption (points.md)
    "reports",
    "demo",
    # Background jobs (report builds) on a PostgreSQL-backed queue: docs/reports.md, `manage.py db_worker`.
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files: precompressed, hashed, before the rest
    # Content-Security-Policy and Permissions-Policy on every page: see "Security headers" below.
    "riverwatch.csp.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # Pages and API answers gzipped and given an ETag, so an unchanged answer is a 304; private to
    # a signed-in user. Before the session and the user are read, so it sees them on the way out.
    "riverwatch.middleware.TransportMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "riverwatch.middleware.ChineseFirstLocaleMiddleware",
    # After the language is chosen, so the refusal speaks it; before any view reads the database.
    "riverwatch.middleware.RefuseUnstorableTextMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in session lapses after SESSION_IDLE_HOURS without a request (SESSION_FIELD_HOURS on the phone app).
    "riverwatch.sessions.SessionExpiryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the 429 lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "riverwatch.urls"
WSGI_APPLICATION = "riverwatch.wsgi.application"
ASGI_APPLICATION = "riverwatch.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "riverwatch.context_processors.site",
            ],
            "builtins": ["riverwatch.templatetags"],
        },
    },
]



def _local_cluster_url() -> str:
    """The project-local cluster that script/server and script/test start: port RW_PG_PORT, the
    riverwatch role's random password in .pgpassword. So `.venv/bin/python manage.py …` works as
    README shows it, without the scripts' environment."""
    password_file = BASE_DIR / ".pgpassword"
    password = password_file.read_text().strip() if password_file.is_file() else ""
    login = f"riverwatch:{quote(password, safe='')}" if password else "riverwatch"
    return f"postgis://{login}@127.0.0.1:{env.int('RW_PG_PORT', default=54329)}/riverwatch"


# postgis:// URLs select the GeoDjango backend; psycopg 3 is the driver.
DATABASES = {"default": env.db("DATABASE_URL", default=_local_cluster_url())}
DATABASES["default"]["ENGINE"] = "django.contrib.gis.db.backends.postgis"
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
# PostgreSQL's JIT compiles plans whose estimated cost is high (spatial functions look expensive)
# and spent 0.3-1.2 s compiling report queries that then ran in a tenth of that. Off for the app.
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "people.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Chinese first, English second; the district works in Beijing time.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# Browser libraries from package.json (npm ci in script/setup), each served under static/vendor/.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/leaflet.markercluster", NODE_MODULES / "leaflet.markercluster" / "dist"),
    ("vendor/leaflet.vectorgrid", NODE_MODULES / "leaflet.vectorgrid" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "riverwatch.storage.StaticFilesStorage"},
}
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

# --- GIS -------------------------------------------------------------------
# Storage SRID: CGCS2000 / 3-degree Gauss-Kruger CM 111E, metres. The system check in
# waterways.checks refuses an SRID whose unit is not the metre.
GIS_SRID = env.int("GIS_SRID", default=4546)
# The only CRSs an imported file may declare. We never hand a user's WKT/PROJ string to
# GDAL (Debian's GDAL 3.6 cannot restrict what such a definition reads: check gis.W001).
IMPORT_ALLOWED_EPSG = env.list(
    "IMPORT_ALLOWED_EPSG",
    cast=int,
    # WGS-84, CGCS2000 geographic, CGCS2000 3-degree GK zones 25-45 (4513-4533) and
    # CM 75E-135E (4534-4554), UTM 48N-50N on WGS-84, Web Mercator.
    default=[4326, 4490, *range(4513, 4555), 32648, 32649, 32650, 3857],
)
REACH_LENGTH_M = env.float("REACH_LENGTH_M", default=100.0)
# A tributary's mouth further than this from its parent is not joined to it.
JUNCTION_TOLERANCE_M = env.float("JUNCTION_TOLERANCE_M", default=50.0)
GIS_DATA_DIR = BASE_DIR / "gis_data"
# The API, the maps and phones speak lon/lat on WGS-84 (GeoJSON, RFC 7946; GPS). Not an environment
# setting: every client of the API depends on it.
API_SRID = 4326
# Positions further than this from the district outline are refused (a GPX file from another
# country, a phone reporting a position from the other side of the world).
SERVICE_AREA_BUFFER_M = env.float("SERVICE_AREA_BUFFER_M", default=20_000.0)

# --- Activities --------------------------------------------------------------
# An activity belongs to the nearest waterway within this distance; further away it is off-network.
SNAP_DISTANCE_M = env.float("SNAP_DISTANCE_M", default=200.0)
# A reach counts as patrolled when at least half of it lies within this distance of the track.
PATROL_BUFFER_M = env.float("PATROL_BUFFER_M", default=50.0)
# Fixes reported less accurate than this are dropped from the track (kept in the raw audit copy).
GPS_MAX_ACCURACY_M = env.float("GPS_MAX_ACCURACY_M", default=50.0)
# No fix for this long, or a jump this far, splits the track instead of bridging it.
TRACK_GAP_SECONDS = env.int("TRACK_GAP_SECONDS", default=300)
TRACK_JUMP_M = env.float("TRACK_JUMP_M", default=500.0)
# Faster than this between fixes is not walking or a patrol boat: flagged for the reviewer.
TRACK_MAX_SPEED_KMH = env.float("TRACK_MAX_SPEED_KMH", default=20.0)
TRACK_MAX_FIXES = env.int("TRACK_MAX_FIXES", default=50_000)
# A service record is an hour or a day at the river, not a shift log: a longer activity is a wrong
# date. The server refuses it and the phone checks it before sending (handed over in field_config).
ACTIVITY_MAX_HOURS = env.int("ACTIVITY_MAX_HOURS", default=24)
TRACK_MAX_SEGMENTS = env.int("TRACK_MAX_SEGMENTS", default=500)
GPX_MAX_BYTES = env.int("GPX_MAX_BYTES", default=5 * 1024 * 1024)
PHOTO_MAX_BYTES = env.int("PHOTO_MAX_BYTES", default=10 * 1024 * 1024)
PHOTO_MAX_PIXELS = env.int("PHOTO_MAX_PIXELS", default=40_000_000)  # decompression-bomb guard
PHOTO_STORED_EDGE_PX = env.int("PHOTO_STORED_EDGE_PX", default=2048)
PHOTO_THUMBNAIL_EDGE_PX = env.int("PHOTO_THUMBNAIL_EDGE_PX", default=320)
# --- Problems ----------------------------------------------------------------
# Reminders go out through Django's e-mail backend: the console in development, SMTP in production
# (EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend with EMAIL_HOST, EMAIL_PORT, …).
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="riverwatch@localhost")
# A new report of the same category this close, in space and time, to an open one is offered for merging.
PROBLEM_DUPLICATE_DISTANCE_M = env.float("PROBLEM_DUPLICATE_DISTANCE_M", default=50.0)
PROBLEM_DUPLICATE_DAYS = env.int("PROBLEM_DUPLICATE_DAYS", default=14)
# The quarter's re-inspections (回头看) are due this many working days after the quarter ends.
FOLLOW_UP_WORKING_DAYS = env.int("FOLLOW_UP_WORKING_DAYS", default=20)
# The daily digest lists what falls due within this many days.
REMINDER_DUE_WITHIN_DAYS = env.int("REMINDER_DUE_WITHIN_DAYS", default=2)
# A deputy with no activity for this many days gets a reminder (the district's practice).
DEPUTY_INACTIVE_DAYS = env.int("DEPUTY_INACTIVE_DAYS", default=30)
# Public reports (the signboard page): per address and per phone number, per hour.
PUBLIC_REPORTS_PER_HOUR = env.int("PUBLIC_REPORTS_PER_HOUR", default=5)

# Hotspots (Getis-Ord Gi*). Hexagon edge length in metres: 250 m cells (≈0.16 km²) hold several
# reaches, so a cell's count is not one reach's noise.
HOTSPOT_HEX_SIZE_M = env.int("HOTSPOT_HEX_SIZE_M", default=250)
# Randomisation draws per tested unit, pooled over the units (the p-value's budget; esda's default).
HOTSPOT_PERMUTATIONS = env.int("HOTSPOT_PERMUTATIONS", default=999)
# A fixed seed: the same request gives the same classes, so a map does not change on reload.
HOTSPOT_SEED = env.int("HOTSPOT_SEED", default=4546)
# Hex study area: cells within this distance of the network; work further away is not river work.
HOTSPOT_STUDY_BUFFER_M = env.float("HOTSPOT_STUDY_BUFFER_M", default=500.0)
# Network neighbours: reaches whose midpoints are this close along the water, across junctions.
HOTSPOT_NETWORK_NEIGHBOUR_M = env.float("HOTSPOT_NETWORK_NEIGHBOUR_M", default=500.0)

# The river-chief map draws activities and tracks as GeoJSON up to this many features, and as
# vector tiles (ST_AsMVT) beyond: a browser chokes on tens of thousands of vector features.
MAP_VECTOR_TILE_THRESHOLD = env.int("MAP_VECTOR_TILE_THRESHOLD", default=5000)

# Basemap: Tianditu (CGCS2000, lines up with GPS) when a key is set, else OpenStreetMap.
TIANDITU_KEY = env("TIANDITU_KEY", default="")

LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (32.66, 110.66),
    "DEFAULT_ZOOM": 11,
    "MIN_ZOOM": 8,
    "MAX_ZOOM": 18,
    "RESET_VIEW": False,
    "NO_GLOBALS": False,
    # The admin's editing maps; the main map builds its own layer switcher (static/js/basemap.js).
    "TILES": (
        [("天地图", "https://t{s}.tianditu.gov.cn/DataServer?T=vec_w&X={x}&Y={y}&L={z}&tk=" + TIANDITU_KEY,
          {"subdomains": "01234567", "attribution": "天地图"})]
        if TIANDITU_KEY
        else [("OpenStreetMap", "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
               {"attribution": "© OpenStreetMap contributors"})]
    ),
    "ATTRIBUTION_PREFIX": "RiverWatch",
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # The token first: DRF answers a request without credentials 401 with the first class's
        # `WWW-Authenticate` (here `Token`); session authentication has none, and would make it 403.
        "people.authentication.TokenAuthentication",  # knox's, refusing what is not a token's shape
        "rest_framework.authentication.SessionAuthentication",
    ],
    "EXCEPTION_HANDLER": "riverwatch.api_errors.exception_handler",
    # JSON the app can store (depth, NUL, lone surrogates), then the form encodings.
    "DEFAULT_PARSER_CLASSES": [
        "riverwatch.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Only the token endpoint is throttled (ScopedRateThrottle, scope "login"): password guessing.
    "DEFAULT_THROTTLE_RATES": {"login": env("LOGIN_THROTTLE_RATE", default="10/min")},
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    # One name per choice set the schema shows in several places (a problem's state and an event's from/to).
    "ENUM_NAME_OVERRIDES": {
        "ProblemStateEnum": "problems.models.State",
        "ProblemSourceEnum": "problems.models.Source",
    },
    "TITLE": "RiverWatch API",
    "DESCRIPTION": "河湖巡护 RiverWatch — Zhangwan District river-protection API. Geometry in EPSG:4326.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI served from the app itself (no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Every operation's refusals (400, 401, 403, 404, 409, 413, 415, 429) documented once.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "riverwatch.openapi.document_errors",
    ],
}

# --- Login lockout (django-axes) ---------------------------------------------------------
# Wrong passwords count per username and, separately, per client address, on every login that
# goes through authenticate(): the login form, the admin login and the token endpoint. Failures
# count until LOGIN_COOLOFF_MINUTES pass without one; the LOGIN_FAILURE_LIMIT-th locks that
# username, or that address, and is itself answered 429. The lock ends LOGIN_COOLOFF_MINUTES after
# that failure (0: only staff unlock); until then even the right password gets 429. Staff unlock
# at once by deleting the rows in admin → Axes → Access attempts (the user's admin page links them).
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
# Reverse proxies in front of the app that append the address they saw to X-Forwarded-For.
# 0 (none): the client's address is REMOTE_ADDR and X-Forwarded-For, which anyone can write, is
# ignored. N: the N-th address from the right of X-Forwarded-For. Set it to the real count, never
# more, or a client could forge its way around the lock by address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)


AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login before any password check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
_login_cooloff_minutes = env.int("LOGIN_COOLOFF_MINUTES", default=15)
AXES_COOLOFF_TIME = timedelta(minutes=_login_cooloff_minutes) if _login_cooloff_minutes > 0 else None
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # two separate counters, either one locks
# Tries during a lockout do not push its end further back: the user is told "in N minutes", and a
# stranger cannot keep someone locked out with one guess every quarter of an hour.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "riverwatch.client_address.client_address"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"  # with HTTP 429 (AXES_HTTP_RESPONSE_CODE)
# Every failure is also kept in admin → Axes → Access failures, after the attempts are deleted.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# DRF's own throttle on the token endpoint trusts X-Forwarded-For unless told how many proxies there are.
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT

# --- API tokens and sessions ---------------------------------------------------------------------
# Scripts POST a username and password to /api/auth/token/ and send `Authorization: Token …`
# (django-rest-knox). The database keeps only a hash of each token (SHA-512) and the first
# characters, to tell tokens apart; a token lapses API_TOKEN_TTL_DAYS after it was issued, and its
# owner revokes it sooner at /accounts/tokens/ (or /api/auth/tokens/), staff in admin → Knox.
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=30)
if API_TOKEN_TTL_DAYS < 1:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("API_TOKEN_TTL_DAYS must be at least 1: tokens always expire.")
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=API_TOKEN_TTL_DAYS),  # also for tokens staff add in the admin
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,  # a token's life is fixed when it is issued
}
# A login on the pages lapses after SESSION_IDLE_HOURS without a request; every request moves the
# end on (riverwatch/sessions.py). The phone app (/m/, /api/field/, the outbox's uploads) keeps a
# login for a patrol day: SESSION_FIELD_HOURS since its last request. A lapsed phone login keeps its
# unsent records in the outbox until the volunteer signs in again.
SESSION_ENGINE = "riverwatch.sessions"  # Django's database sessions, refusing keys it could not have made
SESSION_IDLE_HOURS = env.int("SESSION_IDLE_HOURS", default=8)
SESSION_FIELD_HOURS = env.int("SESSION_FIELD_HOURS", default=24)
SESSION_COOKIE_AGE = SESSION_IDLE_HOURS * 3600  # from the login until the first request moves it on
# One cache for all gunicorn workers (and hosts), in the database: the token endpoint's throttle
# counts (DRF keeps them in the default cache), which in each worker's memory would let a guesser
# get N × the limit. Table made by people/migrations/0003_cache_table.py (`migrate`); after changing
# LOCATION, run `manage.py createcachetable`. Past MAX_ENTRIES rows Django culls a third of them,
# live counts included: far above the few hundred a guesser with many addresses could fill it with.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "rw_cache",
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # WeasyPrint tells every step of every PDF at INFO (reports, certificates, signboards): only its warnings.
    "loggers": {"weasyprint": {"level": "WARNING"}},
}


# --- Security headers --------------------------------------------------------------------------
# Django's SecurityMiddleware: no MIME sniffing (every answer, static files too), the referrer only
# to this site, and a window of its own that another site's page cannot script (Cross-Origin-Opener-
# Policy). HTTPS redirect and HSTS: riverwatch/settings/prod.py.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp 4). Strict: scripts and styles only from files this site serves,
# no inline <script>, no on…= handlers, no style="…" attributes, no eval. JSON data blocks
# (json_script) are not run, and element.style from scripts (Leaflet) is allowed. Two additions per
# request in riverwatch/csp.py: the Tianditu tile hosts while TIANDITU_KEY is set, and inline scripts
# and style attributes on the admin (django-leaflet's map widgets), never on the other pages.
INSTALLED_APPS.append("csp")
# Basemap tiles (static/js/basemap.js; the admin's maps: LEAFLET_CONFIG above).
CSP_TILE_HOSTS = ["https://tile.openstreetmap.org"]
TIANDITU_TILE_HOSTS = [f"https://t{n}.tianditu.gov.cn" for n in range(8)]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # data: icons inside CSS and scripts (field.css, Leaflet, Swagger UI); blob: the phone's photos
        # shown before they are sent.
        "img-src": ["'self'", "data:", "blob:", *CSP_TILE_HOSTS],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],  # the phone app's service worker (/m/sw.js)
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    },
}
# Swagger UI (/api/docs/) would show a badge image from validator.swagger.io, sending it the schema's
# address: off (and the policy would block it anyway).
SPECTACULAR_SETTINGS["SWAGGER_UI_SETTINGS"] = {"deepLinking": True, "validatorUrl": None}

# Permissions-Policy (django-permissions-policy): the phone app uses the position and the camera
# (photos), on this site only; the wake lock keeps the screen on while recording. No page here uses
# the rest, so no page (nor anything it embeds) may ask for them.
PERMISSIONS_POLICY = {
    "geolocation": ["self"],
    "camera": ["self"],
    "screen-wake-lock": ["self"],
    "microphone": [],
    "payment": [],
    "usb": [],
    "serial": [],
    "hid": [],
    "midi": [],
    "display-capture": [],
    "browsing-topics": [],
}

# --- Personal information ------------------------------------------------------------------------
# Raw GPS fixes (patrols.RawTrack: every fix a phone sent, kept to audit the cleaning) are deleted
# this many days after their activity started, by `manage.py purge_raw_tracks` run from cron. The
# cleaned track and the reaches it covered stay. Default: three years.
RAW_TRACK_RETENTION_DAYS = env.int("RAW_TRACK_RETENTION_DAYS", default=1096)

# --- Background jobs ---------------------------------------------------------
# Report builds (reports/tasks.py) run outside the request on a queue kept in PostgreSQL: no new
# server. `manage.py db_worker` carries them out (script/server and docker-compose start it).
TASKS = {"default": {"BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}}
# The address the reports' links and the spreadsheet's link sheet start with ("" leaves them relative).
SITE_URL = env.str("SITE_URL", default="").rstrip("/")
