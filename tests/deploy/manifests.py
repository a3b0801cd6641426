"""The Kustomize overlays of deploy/k8s rendered by ``kubectl kustomize`` (offline), as YAML documents."""

from __future__ import annotations

import functools
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import yaml

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
OVERLAYS = ("cpu", "gpu", "keda")
KUBECTL = shutil.which("kubectl")


@functools.cache
def _rendered(overlay: str) -> str:
    assert KUBECTL, "kubectl is not installed"
    done = subprocess.run([KUBECTL, "kustomize", str(K8S / "overlays" / overlay)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def render(overlay: str) -> list[dict[str, Any]]:
    """The overlay's objects (a fresh copy each call)."""
    return [d for d in yaml.safe_load_all(_rendered(overlay)) if d]


def one(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    """The only object of ``kind`` (and ``name``) among ``docs``."""
    found = [d for d in docs if d["kind"] == kind and name in (None, d["metadata"]["name"])]
    assert len(found) == 1, f"{len(found)} {kind} objects named {name}"
    return found[0]


def scaled_object_trigger(docs: list[dict[str, Any]]) -> tuple[dict[str, str], int, int]:
    """The ScaledObject's one Prometheus trigger metadata, minReplicaCount, maxReplicaCount."""
    spec = one(docs, "ScaledObject")["spec"]
    (trigger,) = spec["triggers"]
    assert trigger["type"] == "prometheus" and trigger.get("metricType", "AverageValue") == "AverageValue", trigger
    return trigger["metadata"], spec.get("minReplicaCount", 0), spec["maxReplicaCount"]


def pod_config(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """The server.toml the pods mount (the ConfigMap's), parsed."""
    return tomllib.loads(one(docs, "ConfigMap")["data"]["server.toml"])
