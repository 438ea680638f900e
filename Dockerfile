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
# Every dependency at the exact version it was tested with (scripts/lock writes the pins).
COPY constraints.txt /wheels/constraints.txt
# The daemon runs as its own unprivileged user: it reads files others drop into its inbox and
# pages from the web, and needs to write nothing but /app/var (store, alerts, inbox).
# Reports need Pango and HarfBuzz's subsetter (WeasyPrint's PDF) and a font with Chinese glyphs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
       libharfbuzz-subset0 fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/* \
    && pip install --no-cache-dir --constraint /wheels/constraints.txt /wheels/*.whl \
    && rm -rf /wheels \
    && groupadd --system --gid 10001 yujing \
    && useradd --system --uid 10001 --gid yujing --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin yujing \
    && mkdir -p /app/var/inbox && chown -R yujing:yujing /app/var
# The shipped configs, editable in place or replaced by a mounted folder; read-only to yujing.
COPY config /app/config
ENV YUJING_CONFIG_DIR=/app/config
# Matplotlib (Slack's charts) wants a writable folder for its cache; the home, /app, is not.
ENV MPLCONFIGDIR=/tmp/matplotlib
USER 10001:10001
STOPSIGNAL SIGTERM
# /metrics, /healthz and /readyz (config/docker.yaml listens on 0.0.0.0:9414 inside the container).
EXPOSE 9414
# Healthy while the daemon keeps finishing collection runs (see `yujing status --check`);
# /healthz answers whenever the daemon's loop does.
HEALTHCHECK --interval=30s --timeout=15s --start-period=60s --retries=3 \
    CMD ["yujing", "status", "--check", "--config", "/app/config/docker.yaml"]
CMD ["yujing", "run", "--config", "/app/config/docker.yaml"]
