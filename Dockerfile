FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# WeasyPrint needs Pango; psycopg uses its binary wheel.
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Runtime dependencies only: requirements.txt is the runtime half of uv.lock (`make lock`);
# tests, lint and the embedded dev database (pgserver) stay out of the image.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# Production settings (DEBUG off): hashed, compressed static files for WhiteNoise's manifest
# storage. The build-only key never reaches a running container: SECRET_KEY comes from the
# environment at run time, and the settings refuse to start without it.
RUN DEBUG=False DEMO=False SECRET_KEY=build-only DATABASE_URL=postgres://build@localhost/build \
    python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "betterdata.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
