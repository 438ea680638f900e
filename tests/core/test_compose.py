"""docker-compose.yml cannot run here: check that it parses and wires yujing to its cluster."""

from __future__ import annotations

import json
import os
import re
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
    assert runtime_copies == [
        "COPY --from=build /wheels /wheels",
        "COPY constraints.txt /wheels/constraints.txt",
        "COPY config /app/config",
    ]
    assert "pip install --no-cache-dir --constraint /wheels/constraints.txt /wheels/*.whl" in (
        re.sub(r"\\\n\s*", " ", runtime)
    )


def test_the_image_pins_every_dependency_within_what_pyproject_allows() -> None:
    """constraints.txt (scripts/lock) pins each runtime dependency, at a version pyproject.toml
    accepts: the image installs what was tested, not whatever is newest on the day it is built."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line!r}"
            pins[canonicalize_name(name)] = version.strip()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for spec in project["dependencies"]:
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not pinned in constraints.txt: run scripts/lock"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {req.name}=={pins[name]}, outside {spec!r}: run scripts/lock"
        )


def runtime_stage() -> list[str]:
    """The image's instructions, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").split("\nFROM ")[-1]
    joined = re.sub(r"\\\n\s*", " ", text)
    return [line for line in joined.splitlines() if line and not line.startswith("#")]


def test_image_runs_as_an_unprivileged_user_that_owns_only_var() -> None:
    lines = runtime_stage()
    [user] = [line.split()[1] for line in lines if line.startswith("USER ")]
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) >= 1000 and gid and int(gid) >= 1000, user
    # Everything that needs root happens before USER; the daemon itself never has it.
    index = {line: i for i, line in enumerate(lines)}
    user_at = next(i for line, i in index.items() if line.startswith("USER "))
    assert all(i < user_at for line, i in index.items() if line.startswith("RUN "))
    [run] = [line for line in lines if line.startswith("RUN ")]
    assert f"useradd --system --uid {uid} " in run and f"groupadd --system --gid {gid} " in run
    # It may write its data folder (the compose volume is created from it), not its configs.
    assert "chown -R yujing:yujing /app/var" in run
    assert not any(line.startswith("RUN ") and "/app/config" in line for line in lines)
    assert lines[-1] == 'CMD ["yujing", "run", "--config", "/app/config/docker.yaml"]'


def test_image_health_check_runs_a_real_command(tmp_path: Path) -> None:
    from yujing.app.cli import build_parser

    [health] = [line for line in runtime_stage() if line.startswith("HEALTHCHECK ")]
    options, _, command = health.partition(" CMD ")
    assert "--start-period=" in options and "--interval=" in options
    argv = json.loads(command)
    assert argv[0] == "yujing"
    args = build_parser().parse_args(argv[1:])
    assert (args.command, args.check, args.config) == (
        "status",
        True,
        "/app/config/docker.yaml",
    )
    # The same check outside the image: no daemon has run, so it says so and fails.
    config = tmp_path / "docker.yaml"
    config.write_text(
        (ROOT / "config" / "docker.yaml")
        .read_text(encoding="utf-8")
        .replace("/app/var", str(tmp_path / "var"))
        .replace("- products.yaml", f"- {ROOT / 'config' / 'products.yaml'}")
        .replace("- categories.yaml", f"- {ROOT / 'config' / 'categories.yaml'}"),
        encoding="utf-8",
    )
    check = subprocess.run(
        [sys.executable, "-m", "yujing", *argv[1:-1], str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 1, check.stderr
    assert check.stdout.startswith("unhealthy: no store at ")
    # In compose the check watches the daemon; the one-shot import and the demo (whose store is
    # in a temporary folder) switch it off rather than show as unhealthy.
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert "healthcheck" not in services["yujing"]
    for name, service in services.items():
        if service.get("build") and name != "yujing":
            assert service["healthcheck"] == {"disable": True}, name
