"""The Kubernetes manifests (``deploy/k8s/``) and container recipes (``deploy/container/``):
valid for the API server, and true to the code they run.

- Every object validates offline, in strict mode, against the Kubernetes schemas that
  ``kubernetes-validate`` ships (no cluster, no network).
- Every ``GEM_*`` variable a container gets is one its process reads; every secret comes
  from a Secret key that ``secret.example.yaml`` declares; the hub accepts the settings the
  manifests give it.
- Probes ask paths the processes serve; the Ingress routes every public page of the hub
  and nothing of the internal API or the development pages; commands name modules that
  exist and that the image copies; Rasa's endpoints.yml names classes and options that
  exist, and the Services the pods talk to.
- The files each Dockerfile copies are enough: laid out as the image's /app, the hub starts
  from them (migrations on SQLite, pages, static files), the action server loads its
  actions, and Rasa's side imports the project's components and add-ons. No image is built
  (no registry here).

Usage::

    .venv/bin/python -m pytest tests/deploy/test_manifests.py -q
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import inspect
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from bot.settings import PROJECT_ROOT, Settings, env_vars
from tools.stack import free_port

K8S = PROJECT_ROOT / "deploy" / "k8s"
CONTAINER = PROJECT_ROOT / "deploy" / "container"
# The newest schemas kubernetes-validate 1.28.3 ships (the last release that runs with
# Rasa's jsonschema 3.2, requirements.txt).
KUBERNETES_VERSION = "1.28.0"
EXAMPLE_SECRET = K8S / "secret.example.yaml"
# What the pod's status.podIP stands for when the hub's settings are built here.
POD_IP = "10.42.0.7"

Manifest = dict[str, Any]


@functools.cache
def documents(path: Path) -> list[Manifest]:
    """The file's YAML documents, parsed once (tests must not change them)."""
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def kustomization() -> Manifest:
    return documents(K8S / "kustomization.yaml")[0]


@functools.lru_cache(maxsize=1)
def applied() -> list[tuple[str, Manifest]]:
    """Every object ``kubectl apply -k deploy/k8s`` creates, with its file."""
    return [(name, doc) for name in kustomization()["resources"] for doc in documents(K8S / name)]


def objects(kind: str) -> list[Manifest]:
    return [doc for _, doc in applied() if doc["kind"] == kind]


def named(kind: str, name: str) -> Manifest:
    found = [doc for doc in objects(kind) if doc["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name!r}, found {len(found)}"
    return found[0]


def container(deployment: str) -> Manifest:
    containers = named("Deployment", deployment)["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def env_names(spec: Manifest) -> set[str]:
    """Names of the variables a container gets, from ``env`` and from ConfigMaps in ``envFrom``."""
    names = {entry["name"] for entry in spec.get("env", [])}
    for source in spec.get("envFrom", []):
        names |= set(named("ConfigMap", source["configMapRef"]["name"])["data"])
    return names


def example_secret() -> Manifest:
    (secret,) = documents(EXAMPLE_SECRET)
    return secret


def environment(spec: Manifest) -> dict[str, str]:
    """The container's environment as Kubernetes would build it, secrets from the example."""
    env: dict[str, str] = {}
    for source in spec.get("envFrom", []):
        env.update(named("ConfigMap", source["configMapRef"]["name"])["data"])
    secret = example_secret()["stringData"]
    for entry in spec.get("env", []):
        if "value" in entry:
            env[entry["name"]] = entry["value"]
        elif "secretKeyRef" in entry["valueFrom"]:
            env[entry["name"]] = secret[entry["valueFrom"]["secretKeyRef"]["key"]]
        elif entry["valueFrom"].get("fieldRef", {}).get("fieldPath") == "status.podIP":
            env[entry["name"]] = POD_IP
        else:
            raise AssertionError(f"no stand-in for {entry}")
    return env


def literal_gem_names(*paths: Path) -> set[str]:
    """Every quoted ``"GEM_..."`` string in these files: the variables their code reads."""
    found: set[str] = set()
    for path in paths:
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            found |= set(re.findall(r"[\"'](GEM_[A-Z0-9_]+)[\"']", file.read_text(encoding="utf-8")))
    # tools.rasa_server.read_secret also takes VAR + "_FILE" for each token.
    return found | {f"{name}_FILE" for name in found}


def endpoints_yml() -> str:
    return named("ConfigMap", "gem-books-rasa")["data"]["endpoints.yml"]


def endpoint_variables() -> set[str]:
    return set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", endpoints_yml()))


def ingress_paths() -> list[tuple[str, str]]:
    return [
        (path["path"], path["pathType"])
        for ingress in objects("Ingress")
        for rule in ingress["spec"].get("rules", [])
        for path in rule.get("http", {}).get("paths", [])
    ]


def routed(path: str) -> bool:
    """Would an Ingress path send a request for ``path`` to a backend? (Kubernetes' rules.)"""
    for pattern, kind in ingress_paths():
        if kind == "Exact" and path == pattern:
            return True
        if kind == "Prefix":
            prefix = pattern.rstrip("/")
            if not prefix or path == prefix or path.startswith(prefix + "/"):
                return True
    return False


# --- the schemas ---------------------------------------------------------------------------


def test_kustomization_applies_every_manifest_but_the_example_secret() -> None:
    files = {path.name for path in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    listed = set(kustomization()["resources"])
    assert "secret.example.yaml" not in listed, "the example Secret must never be applied"
    assert files - listed == {"secret.example.yaml"}, (
        f"not applied: {sorted(files - listed - {EXAMPLE_SECRET.name})}"
    )
    assert listed <= files, f"listed but missing: {sorted(listed - files)}"
    assert "must not be applied" in EXAMPLE_SECRET.read_text(encoding="utf-8").replace(
        "DO NOT APPLY", "must not be applied"
    )


def _all_manifests() -> Iterator[Any]:
    for name in [*kustomization()["resources"], EXAMPLE_SECRET.name]:
        for doc in documents(K8S / name):
            yield pytest.param(doc, id=f"{name}:{doc['kind']}/{doc['metadata']['name']}")


@pytest.mark.parametrize("manifest", _all_manifests())
def test_manifest_is_valid_for_kubernetes(manifest: Manifest) -> None:
    try:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        where = "/".join(str(part) for part in error.path)
        pytest.fail(f"{manifest['kind']} {manifest['metadata']['name']}: {error.message} (at {where})")


def test_the_validator_catches_a_misspelled_field_offline() -> None:
    """Strict mode really rejects what the API server would: the check above can fail."""
    deployment = json.loads(json.dumps(named("Deployment", "gem-books-hub")))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {"httpGet": {"path": "/"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


# --- settings and secrets ------------------------------------------------------------------


def test_every_gem_variable_is_one_the_process_reads() -> None:
    readers = {
        "gem-books-hub": set(env_vars().values()),
        "gem-books-actions": literal_gem_names(
            PROJECT_ROOT / "actions",
            PROJECT_ROOT / "tools" / "action_server.py",
            PROJECT_ROOT / "tools" / "rasa_server.py",
        ),
        # Rasa: its launcher and the project's Rasa-side code, and what endpoints.yml expands.
        "gem-books-rasa": literal_gem_names(
            PROJECT_ROOT / "tools" / "rasa_server.py",
            PROJECT_ROOT / "rasa_addons",
            PROJECT_ROOT / "components",
        )
        | endpoint_variables(),
    }
    assert {d["metadata"]["name"] for d in objects("Deployment")} == set(readers)
    for deployment, known in readers.items():
        given = {name for name in env_names(container(deployment)) if name.startswith("GEM_")}
        unknown = sorted(given - known)
        assert not unknown, f"{deployment}: nothing reads {unknown}"


def test_rasa_gets_every_variable_its_endpoints_file_expands() -> None:
    rasa = container("gem-books-rasa")
    missing = sorted(endpoint_variables() - env_names(rasa))
    assert not missing, f"endpoints.yml expands {missing}, which Rasa's container does not have"
    for entry in rasa["env"]:
        if entry["name"] in endpoint_variables():
            assert "secretKeyRef" in entry.get("valueFrom", {}), f"{entry['name']} is a secret"


def test_every_secret_key_referenced_is_in_the_example_secret_and_back() -> None:
    secret = example_secret()
    referenced = set()
    for deployment in objects("Deployment"):
        for spec in deployment["spec"]["template"]["spec"]["containers"]:
            for entry in spec.get("env", []):
                ref = entry.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] == secret["metadata"]["name"], ref
                    referenced.add(ref["key"])
    declared = set(secret["stringData"])
    assert referenced - declared == set(), f"not in secret.example.yaml: {sorted(referenced - declared)}"
    assert declared - referenced == set(), f"declared but never used: {sorted(declared - referenced)}"


def test_secret_settings_come_from_secrets_only() -> None:
    """The hub's secret fields (``repr=False`` in bot/settings.py) and its URLs with passwords
    are never a plain value or in a ConfigMap."""
    variables = env_vars()
    secret = {variables[f.name] for f in dataclasses.fields(Settings) if f.init and not f.repr}
    secret |= {"GEM_DATABASE_URL", "GEM_REDIS_URL", "GEM_ACTION_TOKEN", "GEM_SMTP_USERNAME"}
    for config in objects("ConfigMap"):
        assert not secret & set(config.get("data", {})), config["metadata"]["name"]
    for deployment in objects("Deployment"):
        for spec in deployment["spec"]["template"]["spec"]["containers"]:
            for entry in spec.get("env", []):
                if entry["name"] in secret or re.search("TOKEN|PASSWORD|SECRET", entry["name"]):
                    assert "secretKeyRef" in entry.get("valueFrom", {}), (
                        f"{entry['name']} must come from a Secret"
                    )


def test_the_hub_accepts_the_settings_the_manifests_give_it() -> None:
    settings = Settings.from_env(environment(container("gem-books-hub")))
    assert not settings.is_development, "the mail sink and /dev/mail are for development only"
    assert settings.internal_host == POD_IP, "the internal API listens on the pod's own address"
    assert settings.host == "0.0.0.0"
    assert settings.smtp_host not in ("127.0.0.1", "localhost"), "no SMTP server in the hub's pod"
    assert settings.public_base_url.startswith("https://")
    assert not settings.is_sqlite, "several hubs share one PostgreSQL database"
    assert settings.link_secret, "every hub must sign mail links with the same key"


# --- what the processes serve --------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _hub_app() -> Any:
    from bot.app import init_app

    return init_app(Settings.from_env(environment(container("gem-books-hub"))))


def _hub_routes() -> list[tuple[str, Any]]:
    """(a path each public route answers, its resource) from the hub's own route table."""
    routes = []
    for resource in _hub_app().router.resources():
        info = resource.get_info()
        if "path" in info:
            routes.append((info["path"], resource))
        elif "formatter" in info:
            routes.append((re.sub(r"\{[^}]+\}", "1", info["formatter"]), resource))
        else:
            routes.append((f"{info['prefix']}/file.css", resource))
    return routes


def _hub_serves(path: str) -> bool:
    for resource in _hub_app().router.resources():
        info = resource.get_info()
        if info.get("path") == path:
            return True
        if "directory" in info and path.startswith(info["prefix"] + "/"):
            return (Path(info["directory"]) / path.removeprefix(info["prefix"] + "/")).is_file()
    return False


def probes(spec: Manifest) -> dict[str, Manifest]:
    return {kind: spec[kind] for kind in ("startupProbe", "readinessProbe", "livenessProbe") if kind in spec}


def test_hub_probes_ask_a_path_the_hub_serves_and_not_healthz() -> None:
    hub = container("gem-books-hub")
    assert {"readinessProbe", "livenessProbe"} <= set(probes(hub))
    for kind, probe in probes(hub).items():
        path = probe["httpGet"]["path"]
        assert _hub_serves(path), f"{kind}: the hub does not serve {path}"
        # /healthz fails when Rasa is down: every hub would leave the Service at once.
        assert path != "/healthz", kind


def test_action_server_probes_ask_its_open_health_route(monkeypatch: pytest.MonkeyPatch) -> None:
    from sanic import Sanic

    from tools.action_server import OPEN_PATHS, create_app

    monkeypatch.setattr(Sanic, "test_mode", True)  # the app name may already be registered
    served = {"/" + route.path for route in create_app("token").router.routes}
    for kind, probe in probes(container("gem-books-actions")).items():
        path = probe["httpGet"]["path"]
        assert path in served, f"{kind}: the action server does not serve {path}"
        assert path in OPEN_PATHS, f"{kind}: {path} needs the token, which a probe cannot send"


def test_rasa_probes_ask_routes_rasa_serves() -> None:
    import importlib.util

    spec = importlib.util.find_spec("rasa")
    assert spec is not None and spec.origin is not None
    server = (Path(spec.origin).parent / "server.py").read_text(encoding="utf-8")
    rasa = container("gem-books-rasa")
    for kind, probe in probes(rasa).items():
        if "httpGet" in probe:
            path = probe["httpGet"]["path"]
        else:
            script = " ".join(probe["exec"]["command"])
            # The token goes to curl on its standard input, never in its arguments.
            assert "--config -" in script and "$GEM_RASA_TOKEN" in script, kind
            path = urlsplit(re.search(r"url = \"([^\"]+)\"", script).group(1)).path  # type: ignore[union-attr]
        assert f'@app.get("{path}")' in server, f"{kind}: Rasa serves no {path}"
    assert "/status" in json.dumps(probes(rasa)["readinessProbe"]), "readiness must wait for the model"


def test_the_ingress_routes_every_public_page_and_nothing_internal() -> None:
    for path, resource in _hub_routes():
        assert routed(path), f"the hub serves {path} ({resource}) but no Ingress path routes it"
    for path, _ in ingress_paths():
        assert _hub_serves(path) or any(p.startswith(path.rstrip("/") + "/") for p, _ in _hub_routes()), (
            f"the Ingress routes {path}, which the hub does not serve"
        )
    for private in ("/internal/handoffs", "/internal/accounts/password-reset", "/dev/mail"):
        assert not routed(private), f"the Ingress routes {private}"
    for ingress in objects("Ingress"):
        for rule in ingress["spec"].get("rules", []):
            for path in rule.get("http", {}).get("paths", []):
                port = path["backend"]["service"]["port"]
                assert path["backend"]["service"]["name"] != "gem-books-hub-internal"
                assert port.get("name") != "internal" and port.get("number") != 8001


# --- commands and images -------------------------------------------------------------------


def dockerfile(name: str) -> str:
    return (CONTAINER / name).read_text(encoding="utf-8").replace("\\\n", " ")


def copied(name: str) -> list[str]:
    """Sources of the Dockerfile's COPY lines from the build context (not ``--from``)."""
    sources = []
    for line in dockerfile(name).splitlines():
        if not line.startswith("COPY "):
            continue
        words = shlex.split(line)
        if not any(w.startswith("--from") for w in words):
            sources += [w.rstrip("/") for w in words[1:-1] if not w.startswith("--")]
    return sources


def dockerignored(path: str) -> bool:
    """Would .dockerignore keep ``path`` out of the build context? (last matching pattern wins)"""
    patterns = [
        line.strip()
        for line in (PROJECT_ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if any(fnmatch.fnmatchcase(prefix, pattern.lstrip("!")) for prefix in prefixes):
            ignored = not negated
    return ignored


def module_file(module: str) -> str:
    """The repository file ``python -m module`` runs."""
    base = module.replace(".", "/")
    for candidate in (f"{base}.py", f"{base}/__main__.py"):
        if (PROJECT_ROOT / candidate).is_file():
            return candidate
    raise AssertionError(f"no module {module} in the repository")


def image_commands() -> Iterator[Any]:
    """(Dockerfile, command) for each image's default command and each container's."""
    for name in ("Dockerfile", "rasa.Dockerfile"):
        text = dockerfile(name)
        entry = re.search(r"^ENTRYPOINT (\[.*\])", text, re.M)
        cmd = re.search(r"^CMD (\[.*\])", text, re.M)
        assert cmd is not None, name
        command = (json.loads(entry.group(1)) if entry else []) + json.loads(cmd.group(1))
        yield pytest.param(name, command, id=f"{name} default")
    for deployment in objects("Deployment"):
        spec = deployment["spec"]["template"]["spec"]["containers"][0]
        name = "rasa.Dockerfile" if "/rasa:" in spec["image"] else "Dockerfile"
        yield pytest.param(name, spec["command"] + spec.get("args", []), id=deployment["metadata"]["name"])


@pytest.mark.parametrize("image, command", list(image_commands()))
def test_commands_run_modules_the_image_contains(image: str, command: list[str]) -> None:
    assert command[:2] == ["python", "-m"], command
    file = module_file(command[2])
    sources = copied(image)
    assert any(file == s or file.startswith(s + "/") for s in sources), f"{image} does not copy {file}"
    assert not dockerignored(file), f".dockerignore keeps {file} out of the build"


@pytest.mark.parametrize("image", ["Dockerfile", "rasa.Dockerfile"])
def test_images_copy_only_what_the_build_context_has(image: str) -> None:
    text = dockerfile(image)
    assert "--require-hashes" in text and "--no-deps" in text and "requirements.lock" in text
    assert re.search(r"^USER (?!root)\S+", text, re.M), "the image must not run as root"
    for source in copied(image):
        if source != "models/gem-books.tar.gz":  # made by `make train`, not committed
            assert (PROJECT_ROOT / source).exists(), f"{image} copies {source}, which does not exist"
        assert not dockerignored(source), f"{image} copies {source}, which .dockerignore leaves out"
    for secret in (".env", "var/gembooks.db", "var/stack.env", ".venv/bin/python", "tests/test_docs.py"):
        assert dockerignored(secret), f".dockerignore lets {secret} into the build"


def test_rasa_image_runs_the_model_and_config_the_pod_has() -> None:
    rasa = container("gem-books-rasa")
    args = rasa["args"]
    model = args[args.index("--model") + 1]
    assert re.search(
        rf"^COPY models/gem-books.tar.gz {re.escape(model)}$", dockerfile("rasa.Dockerfile"), re.M
    )
    assert named("Deployment", "gem-books-rasa")["spec"]["template"]["spec"]["volumes"][0]["configMap"] == {
        "name": "gem-books-rasa"
    }
    (mount,) = [m for m in rasa["volumeMounts"] if m["name"] == "config"]
    config = named("ConfigMap", "gem-books-rasa")["data"]
    for option, key in (("--endpoints", "endpoints.yml"), ("--credentials", "credentials.yml")):
        assert args[args.index(option) + 1] == f"{mount['mountPath']}/{key}"
        assert key in config


# --- Rasa's endpoints and credentials ------------------------------------------------------


def _service_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None, url
    return parts.hostname, parts.port


def _assert_service(host: str, port: int | None = None) -> Manifest:
    service = named("Service", host)
    if port is not None:
        assert port in [p["port"] for p in service["spec"]["ports"]], f"{host} has no port {port}"
    return service


def test_rasa_endpoints_parse_and_name_real_classes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.core.lock_store import RedisLockStore
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.core.utils import AvailableEndpoints
    from rasa.shared.utils.common import class_from_module_path

    for name in endpoint_variables():
        monkeypatch.setenv(name, f"value-of-{name}")
    path = tmp_path / "endpoints.yml"
    path.write_text(endpoints_yml(), encoding="utf-8")
    endpoints = AvailableEndpoints.read_endpoints(str(path))

    assert (
        endpoints.action is not None
        and endpoints.tracker_store is not None
        and endpoints.lock_store is not None
    )
    assert endpoints.action.headers == {"Authorization": "Bearer value-of-GEM_ACTION_TOKEN"}
    host, port = _service_port(endpoints.action.url)
    assert urlsplit(endpoints.action.url).path == "/webhook"
    _assert_service(host, port)

    store = endpoints.tracker_store
    cls = class_from_module_path(store.type)
    assert issubclass(cls, SQLTrackerStore) and cls.__module__ == "rasa_addons.tracker_store"
    accepted = set(inspect.signature(cls.__init__).parameters) | set(
        inspect.signature(SQLTrackerStore.__init__).parameters
    )
    assert set(store.kwargs) <= accepted, f"options Rasa would ignore: {sorted(set(store.kwargs) - accepted)}"
    assert store.kwargs["dialect"] == "postgresql"
    assert store.kwargs["password"] == "value-of-TRACKER_DB_PASSWORD"
    assert _assert_service(store.url)["spec"]["type"] == "ExternalName"

    lock = endpoints.lock_store
    assert lock.type == "redis"
    accepted = set(inspect.signature(RedisLockStore.__init__).parameters) | {"url"}
    assert set(lock.kwargs) <= accepted, f"options Rasa would ignore: {sorted(set(lock.kwargs) - accepted)}"
    assert str(lock.kwargs["key_prefix"]).isalnum()
    assert _assert_service(lock.url)["spec"]["type"] == "ExternalName"


def test_rasa_credentials_offer_only_the_hubs_channel() -> None:
    from rasa.shared.utils.common import class_from_module_path

    channels = yaml.safe_load(named("ConfigMap", "gem-books-rasa")["data"]["credentials.yml"])
    repository = yaml.safe_load((PROJECT_ROOT / "credentials.yml").read_text(encoding="utf-8"))
    assert set(channels) == {"rasa_addons.hub_channel.HubInput"}
    assert set(channels) <= set(repository)
    assert class_from_module_path("rasa_addons.hub_channel.HubInput").name() == "hub"


# --- how the objects fit together ----------------------------------------------------------


def _pods() -> dict[str, Manifest]:
    return {d["metadata"]["name"]: d["spec"]["template"] for d in objects("Deployment")}


def _selected(selector: dict[str, str]) -> list[str]:
    return [name for name, pod in _pods().items() if selector.items() <= pod["metadata"]["labels"].items()]


def test_services_select_one_deployment_and_name_its_ports() -> None:
    for service in objects("Service"):
        if service["spec"].get("type") == "ExternalName":
            continue
        (deployment,) = _selected(service["spec"]["selector"])
        ports = {p["name"] for p in container(deployment)["ports"]}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in ports, f"{service['metadata']['name']}: {port['targetPort']}"
    for manifest in objects("Deployment"):
        assert manifest["spec"]["selector"]["matchLabels"].items() <= (
            manifest["spec"]["template"]["metadata"]["labels"].items()
        )


def test_the_urls_the_processes_call_are_services() -> None:
    hub = environment(container("gem-books-hub"))
    actions = environment(container("gem-books-actions"))
    for url, target in (
        (hub["GEM_RASA_URL"], "gem-books-rasa"),
        (hub["GEM_ACTIONS_URL"], "gem-books-actions"),
        (actions["GEM_HUB_URL"], "gem-books-hub-internal"),
    ):
        host, port = _service_port(url)
        assert host == target, url
        _assert_service(host, port)
    for key in ("GEM_DATABASE_URL", "GEM_REDIS_URL"):
        assert _assert_service(urlsplit(hub[key]).hostname or "")["spec"]["type"] == "ExternalName"
    assert hub["GEM_INTERNAL_PORT"] == str(container("gem-books-hub")["ports"][1]["containerPort"])


def test_ingress_backends_and_policies_name_what_exists() -> None:
    for ingress in objects("Ingress"):
        for rule in ingress["spec"].get("rules", []):
            for path in rule.get("http", {}).get("paths", []):
                backend = path["backend"]["service"]
                service = _assert_service(backend["name"])
                assert backend["port"]["name"] in [p["name"] for p in service["spec"]["ports"]]
    for policy in objects("NetworkPolicy"):
        if not policy["spec"]["podSelector"]:
            continue
        (deployment,) = _selected(policy["spec"]["podSelector"]["matchLabels"])
        ports = {p["name"] for p in container(deployment)["ports"]}
        for rule in policy["spec"]["ingress"]:
            assert {p["port"] for p in rule["ports"]} <= ports
            for peer in rule["from"]:
                if "podSelector" in peer:
                    assert _selected(peer["podSelector"]["matchLabels"]), peer


def test_pods_are_locked_down_replicated_and_budgeted() -> None:
    budgets = {
        tuple(sorted(p["spec"]["selector"]["matchLabels"].items())) for p in objects("PodDisruptionBudget")
    }
    for deployment in objects("Deployment"):
        name = deployment["metadata"]["name"]
        pod = deployment["spec"]["template"]["spec"]
        assert deployment["spec"]["replicas"] >= 2, name
        assert tuple(sorted(deployment["spec"]["selector"]["matchLabels"].items())) in budgets, name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert pod["automountServiceAccountToken"] is False, name
        for spec in pod["containers"]:
            security = spec["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            assert {"cpu", "memory"} <= set(spec["resources"]["requests"]), name
            assert "memory" in spec["resources"]["limits"], name
            assert {"readinessProbe", "livenessProbe"} <= set(spec), name


# F5 NGINX Ingress Controller's rules for one host spread over several Ingresses: the
# master has the host and TLS, no paths; minions have paths, no TLS; some annotations
# belong to one kind only (the controller ignores or rejects the Ingress otherwise).
MASTER_ONLY = {
    "nginx.org/hsts",
    "nginx.org/server-tokens",
    "nginx.org/redirect-to-https",
    "nginx.org/ssl-redirect",
}
MINION_ONLY = {"nginx.org/websocket-services", "nginx.org/rewrites", "nginx.org/ssl-services"}


def test_ingresses_are_one_master_and_its_minions() -> None:
    kinds, hosts = {}, set()
    for ingress in objects("Ingress"):
        name, annotations = ingress["metadata"]["name"], ingress["metadata"].get("annotations", {})
        kind = kinds[name] = annotations.get("nginx.org/mergeable-ingress-type")
        has_paths = any("http" in rule for rule in ingress["spec"]["rules"])
        if kind == "master":
            assert ingress["spec"].get("tls") and not has_paths, name
            assert not MINION_ONLY & set(annotations), name
        else:
            assert kind == "minion" and has_paths and not ingress["spec"].get("tls"), name
            assert not MASTER_ONLY & set(annotations), name
        hosts |= {rule["host"] for rule in ingress["spec"]["rules"]}
    assert list(kinds.values()).count("master") == 1
    assert len(hosts) == 1, f"the master and its minions must name one host, not {sorted(hosts)}"
    chat = named("Ingress", "gem-books-chat")["metadata"]["annotations"]
    assert chat["nginx.org/websocket-services"] == "gem-books-hub"


# --- the images contain what runs -----------------------------------------------------------


def assemble(image: str, root: Path) -> Path:
    """The image's /app as its Dockerfile's COPY lines lay it out (the model left out)."""
    app = root / "app"
    for line in dockerfile(image).splitlines():
        if not line.startswith("COPY ") or "--from" in line:
            continue
        *sources, destination = [w for w in shlex.split(line)[1:] if not w.startswith("--")]
        target = app / destination.removeprefix("/app/").removeprefix("/app")
        for source in sources:
            path = PROJECT_ROOT / source.rstrip("/")
            if source.startswith("models/") or source == "requirements.lock":
                continue
            place = target / path.name if destination.endswith("/") and path.is_file() else target
            if path.is_dir():
                shutil.copytree(path, place, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                place.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, place)
    return app


HUB_IN_IMAGE = """
import asyncio
from pathlib import Path
from aiohttp.test_utils import TestClient, TestServer
from bot.app import init_app
from bot.settings import Settings
from tools.action_server import create_app

async def main():
    settings = Settings.from_env()
    # The review page's NLU files, and alembic.ini for `alembic upgrade head` (docs/SCALING.md).
    assert any(Path(settings.nlu_data_dir).rglob("*.yml")), settings.nlu_data_dir
    assert Path("alembic.ini").is_file()
    app = init_app(settings)
    async with TestClient(TestServer(app)) as client:   # migrations, services, workers
        for path in ("/static/widget.css", "/login", "/console/login"):
            response = await client.get(path)
            assert response.status == 200, (path, response.status)
    create_app("token")                                   # the action server's actions
    print("ok")

asyncio.run(main())
"""

RASA_IN_IMAGE = """
import components.language_detector, components.person_request
import rasa_addons.hub_channel, rasa_addons.tracker_store, tools.rasa_server
print("ok")
"""


def run_in(app: Path, script: str, env: dict[str, str]) -> None:
    """``script`` in the assembled /app, importing nothing from the repository itself."""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=app,
        env={"PATH": os.environ.get("PATH", ""), "SQLALCHEMY_SILENCE_UBER_WARNING": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-3000:]


def test_the_app_image_has_everything_the_hub_and_action_server_need(tmp_path: Path) -> None:
    """The hub starts (migrations, templates, static files, domain.yml) and the action server
    loads its actions from the files the Dockerfile copies, and from nothing else."""
    app = assemble("Dockerfile", tmp_path)
    env = environment(container("gem-books-hub"))
    env.pop("GEM_REDIS_URL", None)  # no Redis here: one hub
    env |= {
        "GEM_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}",
        "GEM_INTERNAL_HOST": "127.0.0.1",
        "GEM_INTERNAL_PORT": str(free_port()),
        "GEM_RASA_URL": "http://127.0.0.1:9",
        "GEM_ACTIONS_URL": "http://127.0.0.1:9",
        "GEM_ACTION_TOKEN": "token",
    }
    run_in(app, HUB_IN_IMAGE, env)


def test_the_rasa_image_has_the_projects_rasa_side_code(tmp_path: Path) -> None:
    run_in(assemble("rasa.Dockerfile", tmp_path), RASA_IN_IMAGE, {})
