FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY yujing ./yujing
COPY crawlers ./crawlers
COPY detector ./detector
COPY notifier ./notifier
COPY config ./config
RUN pip install --no-cache-dir . && mkdir -p /app/var/inbox
ENV YUJING_CONFIG_DIR=/app/config
STOPSIGNAL SIGTERM
CMD ["yujing", "run", "--config", "/app/config/docker.yaml"]
