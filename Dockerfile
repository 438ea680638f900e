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
CMD ["yujing", "run", "--config", "/app/config/docker.yaml"]
