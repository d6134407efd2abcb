# The pdca worker image (also runs the `pdca` CLI). Built by deploy/docker-compose.yml:
#   docker compose -f deploy/docker-compose.yml up -d --build
# or on its own:  docker build -t pdca-worker .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Install the project as a regular (non-editable) package, then drop the sources: the image runs
# exactly what `pip install .` installs.
COPY . /src
RUN pip install /src && rm -rf /src

# An unprivileged user owning PDCA_HOME (digests of the verified hash chain land in $PDCA_HOME/digests).
RUN useradd --system --uid 10001 --home-dir /var/lib/pdca --create-home pdca
USER pdca
WORKDIR /var/lib/pdca

ENV PDCA_HOME=/var/lib/pdca \
    PDCA_LOG_FORMAT=json \
    PDCA_METRICS_ADDR=0.0.0.0 \
    PDCA_METRICS_PORT=9464 \
    PDCA_SDK_METRICS_PORT=9465
EXPOSE 9464 9465

# Healthy once the project's /metrics answers (the worker serves it after connecting to Temporal and
# the audit database).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/metrics' % os.environ.get('PDCA_METRICS_PORT', '9464'), timeout=4)"]

# Migrate the audit database (idempotent), then run the worker. Configure with TEMPORAL_ADDRESS,
# TEMPORAL_NAMESPACE, PDCA_TASK_QUEUE and PDCA_DATABASE_URL.
CMD ["sh", "-c", "pdca migrate && exec pdca worker"]
