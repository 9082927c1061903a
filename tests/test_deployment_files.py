"""docker-compose.yml, .env.example and the README agree with each other and with the settings."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
README = (ROOT / "README.md").read_text()
APP_SERVICES = ("web", "worker", "worker-priority", "beat")


def test_compose_has_every_service_with_a_health_check():
    services = COMPOSE["services"]
    assert set(services) == {
        "web",
        "worker",
        "worker-priority",
        "beat",
        "sandbox",
        "db",
        "redis",
    }
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no health check"
        assert service["healthcheck"]["test"], name


def test_the_sandbox_is_off_by_default_and_published_on_localhost_only():
    sandbox = COMPOSE["services"]["sandbox"]
    assert sandbox["profiles"] == ["sandbox"], "a compose profile: `--profile sandbox` starts it"
    assert sandbox["ports"] and all(port.startswith("127.0.0.1:") for port in sandbox["ports"])
    for name in APP_SERVICES:
        service = COMPOSE["services"][name]
        assert "profiles" not in service
        assert "sandbox" not in str(service["environment"]), f"{name} points at the sandbox"
        assert "sandbox" not in service.get("depends_on", {})


def test_the_web_health_check_is_the_command_that_works_with_production_settings():
    test = COMPOSE["services"]["web"]["healthcheck"]["test"]
    assert test[:4] == ["CMD", "python", "manage.py", "healthcheck"]
    assert "http://127.0.0.1:8000/healthz" in test


def test_compose_pins_the_database_and_broker_versions():
    assert COMPOSE["services"]["db"]["image"] == "postgres:16"
    assert COMPOSE["services"]["redis"]["image"] == "redis:7"


def test_app_services_wait_for_healthy_db_and_redis():
    for name in APP_SERVICES:
        depends = COMPOSE["services"][name]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"


def _queues(command: str) -> set[str]:
    return set(command.split("--queues ")[1].split()[0].split(","))


def test_web_runs_gunicorn_and_worker_listens_on_every_queue():
    assert "gunicorn" in COMPOSE["services"]["web"]["command"]
    from syncs.queues import Queue

    assert _queues(COMPOSE["services"]["worker"]["command"]) == set(Queue)


def test_a_worker_listens_to_the_priority_queue_alone():
    """A stock-out never waits for a process an import or a bulk drain holds."""
    from syncs.queues import Queue

    workers = {
        name: service["command"]
        for name, service in COMPOSE["services"].items()
        if " worker " in f" {service.get('command', '')} "
    }
    assert {name for name, command in workers.items() if _queues(command) == {Queue.PRIORITY}}
    assert set().union(*map(_queues, workers.values())) == set(Queue)
    for name in workers:
        assert "profiles" not in COMPOSE["services"][name], f"{name} must start by default"


def test_the_readme_runs_a_priority_worker_wherever_it_says_how_to_run_workers():
    production = README.split("## Running in production", 1)[1].split("\n## ", 1)[0]
    assert "`worker-priority`" in production
    for section in (production, README.split("### Running it", 1)[1].split("\n### ", 1)[0]):
        assert re.search(r"celery -A citrusadmin worker (-Q|--queues) priority ", section)


def test_every_service_the_readme_mentions_exists():
    mentioned = set(re.findall(r"`(web|worker|beat|sandbox|db|redis)`", README))
    assert mentioned, "the README should name the compose services"
    assert mentioned <= set(COMPOSE["services"])


def test_every_setting_in_env_example_is_documented_in_the_readme():
    names = re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M)
    assert names
    missing = [name for name in names if f"`{name}`" not in README]
    assert not missing, f"README does not document {missing}"


def _locked() -> dict[str, str]:
    from packaging.utils import canonicalize_name

    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version
    return pins


def test_constraints_pin_every_dependency_within_its_range():
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["dev"]
    pins = _locked()
    for text in wanted:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in constraints.txt: run make lock"
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} vs {text}"


def test_the_test_environment_is_the_locked_one():
    from importlib.metadata import distributions

    from packaging.utils import canonicalize_name

    pins = _locked()
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in distributions()}
    drift = {name: (installed.get(name), pin) for name, pin in pins.items()}
    drift = {name: pair for name, pair in drift.items() if pair[0] != pair[1]}
    assert not drift, f"installed vs constraints.txt: {drift} (make venv reinstalls)"


def test_every_install_uses_the_constraints():
    makefile = (ROOT / "Makefile").read_text()
    assert '-c constraints.txt -e ".[dev]"' in makefile
    assert "$(BIN)/.installed: pyproject.toml constraints.txt" in makefile
    assert "RUN pip install -c constraints.txt ." in (ROOT / "Dockerfile").read_text()
    assert "make lock" in README


def test_every_setting_read_from_the_environment_is_in_the_readme_table():
    settings_source = (ROOT / "citrusadmin" / "settings.py").read_text()
    names = set(re.findall(r'env_[a-z]+\(\s*"([A-Z][A-Z0-9_]+)"', settings_source))
    assert len(names) > 30
    table = "\n".join(line for line in README.splitlines() if line.startswith("| `"))
    missing = sorted(name for name in names if f"`{name}`" not in table)
    assert not missing, f"the README's configuration table lacks {missing}"
