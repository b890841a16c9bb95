# RiverWatch web image. The database is a separate postgis/postgis container (docker-compose.yml).
# Browser libraries (package.json) are installed in a Node stage and copied in; the app serves them.
FROM node:20-bookworm-slim AS assets
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=riverwatch.settings.prod \
    MPLCONFIGDIR=/tmp/matplotlib
RUN apt-get update \
 && apt-get install -y --no-install-recommends gdal-bin gettext fonts-noto-cjk postgresql-client libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
COPY --from=assets /assets/node_modules ./node_modules
# A throwaway key for the build only: production settings refuse a missing, short or published key.
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
    sh -c "python manage.py compilemessages --ignore=.venv -v 0 && python manage.py collectstatic --noinput -v 0"

# The app does not need root at run time.
RUN useradd --system --home /app riverwatch && mkdir -p /app/media && chown riverwatch /app/media
USER riverwatch
EXPOSE 8000
CMD ["script/docker-entrypoint"]
