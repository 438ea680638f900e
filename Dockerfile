# Build the wheel apart, then install only the wheel: no source folder in the image can shadow
# the installed package (python -m yujing ... runs what pip installed).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY yujing ./yujing
COPY crawlers ./crawlers
COPY detector ./detector
COPY notifier ./notifier
COPY config ./config
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
WORKDIR /app
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels && mkdir -p /app/var/inbox
# The shipped configs, editable in place or replaced by a mounted folder.
COPY config /app/config
ENV YUJING_CONFIG_DIR=/app/config
STOPSIGNAL SIGTERM
# /metrics, /healthz and /readyz (config/docker.yaml listens on 0.0.0.0:9414 inside the container).
EXPOSE 9414
# Liveness: the daemon's loop answers. A config that moves http.listen must move this too.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9414/healthz', timeout=4)"]
CMD ["yujing", "run", "--config", "/app/config/docker.yaml"]
