# TRT production image: supervisord runs every program (see supervisor.conf) in the foreground.
#
#   docker build -t trt .
#   docker run --env-file deploy/trt.env -p 10000:10000 trt
#
# Configuration comes only from the environment (.env.example lists every variable); nothing secret
# is baked in. Logs of supervisord and every program go to the container's stdout/stderr.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: wheels of every dependency (compiled here if no wheel exists, never in the runtime) ------
FROM ${PYTHON_IMAGE} AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml ./
COPY services ./services
COPY shared ./shared
COPY emulators ./emulators
RUN pip wheel --no-cache-dir --wheel-dir /wheels . \
    && rm /wheels/trt-*.whl

# --- runtime: slim Python, the wheels, the source, a non-root user ----------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    BIND_HOST=0.0.0.0 \
    PORT=10000 \
    BOT_WORKERS=2 \
    LOG_FORMAT=json
RUN groupadd --system --gid 10001 trt \
    && useradd --system --uid 10001 --gid trt --home-dir /app --shell /usr/sbin/nologin trt
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links=/wheels /wheels/*.whl && rm -rf /wheels
WORKDIR /app
COPY services ./services
COPY shared ./shared
COPY catalog ./catalog
COPY migrations ./migrations
COPY supervisor.conf deploy/container_conf.py deploy/entrypoint.sh ./
RUN python container_conf.py supervisor.conf supervisor.container.conf \
    && mkdir -p var/log \
    && chown -R trt:trt var
USER trt:trt
EXPOSE 10000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/ready' % os.environ.get('PORT', '10000'), timeout=4)"]
ENTRYPOINT ["/app/entrypoint.sh"]
CMD ["supervisord", "-n", "-c", "/app/supervisor.container.conf"]
