"""docker-compose.yml cannot run here: check that it parses and wires yujing to its cluster."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import yaml

from testkit.wheel import build_wheel, copy_tracked
from yujing.config import load_config

ROOT = Path(__file__).resolve().parents[2]


def test_compose_file_wires_elasticsearch_kibana_and_yujing() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"elasticsearch", "kibana", "kibana-setup", "yujing", "demo"}
    es_image = services["elasticsearch"]["image"]
    kibana_image = services["kibana"]["image"]
    # Kibana must be the same version as the cluster it reads.
    assert es_image.rsplit(":", 1)[1] == kibana_image.rsplit(":", 1)[1]
    assert "discovery.type=single-node" in services["elasticsearch"]["environment"]
    assert "ELASTICSEARCH_HOSTS=http://elasticsearch:9200" in services["kibana"]["environment"]
    yujing = services["yujing"]
    assert yujing["depends_on"]["elasticsearch"]["condition"] == "service_healthy"
    assert "YUJING_ES_URL=http://elasticsearch:9200" in yujing["environment"]
    config_in_container = yujing["command"][yujing["command"].index("--config") + 1]
    assert config_in_container == "/app/config/docker.yaml"
    assert "./config:/app/config:ro" in yujing["volumes"]
    # Security is off in this development cluster: its ports stay on the host's loopback.
    for name in ("elasticsearch", "kibana"):
        assert all(p.startswith("127.0.0.1:") for p in services[name]["ports"]), name
    # A clean stop waits for running crawls; compose's default 10 s grace would cut it short.
    assert int(yujing["stop_grace_period"].rstrip("s")) >= 30


def _in_container(path: str) -> Path:
    """A config path inside the image (/app/config is a copy of ./config) on this checkout."""
    assert path.startswith("/app/config/"), path
    return ROOT / "config" / path.removeprefix("/app/config/")


def test_compose_imports_the_dashboard_once_kibana_serves(monkeypatch) -> None:
    from yujing.app.cli import build_parser

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["services"]
    setup = services["kibana-setup"]
    assert "profiles" not in setup, "plain `docker compose up` imports the dashboard too"
    assert setup["depends_on"]["kibana"]["condition"] == "service_healthy"
    assert "curl" in " ".join(services["kibana"]["healthcheck"]["test"])
    assert setup["restart"] == "on-failure"
    args = build_parser().parse_args(setup["command"][1:])
    assert (args.command, args.kibana_command) == ("kibana", "import")
    env = dict(e.split("=", 1) for e in setup["environment"])
    assert env["YUJING_KIBANA_URL"] == "http://kibana:5601", "Kibana by its service name"
    monkeypatch.setenv("YUJING_KIBANA_URL", env["YUJING_KIBANA_URL"])
    config = load_config(_in_container(args.config))
    assert config.kibana is not None and config.kibana.url == "http://kibana:5601"
    assert config.elasticsearch is not None and config.elasticsearch.retention == 180 * 86400


def test_compose_demo_profile_feeds_the_demo_world_into_elasticsearch(monkeypatch) -> None:
    from yujing.app.cli import build_parser

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["services"]
    demo = services["demo"]
    assert demo["profiles"] == ["demo"]
    assert demo["depends_on"]["elasticsearch"]["condition"] == "service_healthy"
    # The dashboard is in Kibana before the first post reaches it.
    assert demo["depends_on"]["kibana-setup"]["condition"] == "service_completed_successfully"
    args = build_parser().parse_args(demo["command"][1:])
    assert args.command == "demo" and not args.once, "it keeps running, feeding Kibana"
    env = dict(e.split("=", 1) for e in demo["environment"])
    assert env["YUJING_ES_URL"] == "http://elasticsearch:9200"
    # Links in alerts are for the browser on the host, where Kibana's port is published.
    assert env["YUJING_KIBANA_URL"] == "http://localhost:5601"
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    path = _in_container(str(args.config))
    check = subprocess.run(
        [sys.executable, "-m", "yujing", "check-config", str(path)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr
    config = load_config(path)
    assert config.elasticsearch is not None
    assert config.elasticsearch.hosts == ["http://elasticsearch:9200"]
    assert {r.type for r in config.notify.receivers} >= {"elasticsearch"}
    # The same world as `yujing demo`: sources, products and detection as demo.yaml has them.
    shipped = load_config(ROOT / "config" / "demo.yaml")
    for section in ("sources", "products", "categories", "detection", "timezone", "privacy"):
        assert getattr(config, section) == getattr(shipped, section), section


def test_compose_yujing_config_passes_check(monkeypatch) -> None:
    env = {**os.environ, "YUJING_ES_URL": "http://elasticsearch:9200"}
    check = subprocess.run(
        [sys.executable, "-m", "yujing", "check-config", "config/docker.yaml"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr
    assert "config/docker.yaml: OK" in check.stdout
    monkeypatch.setenv("YUJING_ES_URL", "http://elasticsearch:9200")
    config = load_config(ROOT / "config" / "docker.yaml")
    assert config.elasticsearch is not None
    assert config.elasticsearch.hosts == ["http://elasticsearch:9200"]
    assert {r.type for r in config.notify.receivers} >= {"log", "elasticsearch"}


def test_dockerfile_builds_the_wheel_from_what_it_copies_and_ships_no_sources(
    tmp_path: Path,
) -> None:
    # Docker cannot run here, so its build stage is replayed: copy exactly what it COPYs,
    # build the wheel from that, and compare with the wheel of the whole tree.
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    build, runtime = text.split("\nFROM ")[1:]  # the build stage, then the image
    copied = [line.split()[1:-1] for line in build.splitlines() if line.startswith("COPY ")]
    context = copy_tracked(ROOT, tmp_path / "context", [p for paths in copied for p in paths])
    from_docker = build_wheel(context, tmp_path / "docker-wheel")
    from_tree = build_wheel(copy_tracked(ROOT, tmp_path / "tree"), tmp_path / "tree-wheel")
    assert zipfile.ZipFile(from_docker).namelist() == zipfile.ZipFile(from_tree).namelist()
    # The image installs the wheel only: no source folder in /app shadows the package.
    runtime_copies = [line for line in runtime.splitlines() if line.startswith("COPY ")]
    assert runtime_copies == ["COPY --from=build /wheels /wheels", "COPY config /app/config"]
    assert "pip install --no-cache-dir /wheels/*.whl" in runtime
