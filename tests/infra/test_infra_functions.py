"""Every function is sized, time-limited, logged with retention, traced, and fails into a DLQ when async."""
from __future__ import annotations

import json
import re
import sys
import tomllib
from pathlib import Path

import pytest

from infra.functions import POWERTOOLS_LAYER_PARAMETER
from videoalert.config.dispatcher import DispatcherSettings
from videoalert.config.feedback import FeedbackSettings
from videoalert.config.review import ReviewSettings
from videoalert_contract import names

ROOT = Path(__file__).resolve().parents[2]
OWNERS = ("dispatcher", "inference", "feedback", "review", "links", "registry")


def _function(synth, owner):
    return synth.json["Resources"][synth.logical_id(getattr(synth.stack, owner).function)]["Properties"]


@pytest.mark.parametrize("owner", OWNERS)
def test_function_has_explicit_memory_timeout_tracing_and_a_log_group_with_retention(synth, owner):
    props = _function(synth, owner)
    assert props["MemorySize"] >= 128 and props["Timeout"] > 3
    assert props["TracingConfig"] == {"Mode": "Active"}
    log_group = props["LoggingConfig"]["LogGroup"]["Ref"]
    assert synth.json["Resources"][log_group]["Properties"]["RetentionInDays"] > 0


def test_sizes_match_the_design(synth):
    assert (_function(synth, "dispatcher")["MemorySize"], _function(synth, "dispatcher")["Timeout"]) == (512, 300)
    assert (_function(synth, "inference")["MemorySize"], _function(synth, "inference")["Timeout"]) == (1769, 120)
    # one vCPU at 1,769 MB: the sequential path (one decoder, no pipeline), the cheapest per clip (bench/README.md)
    variables = _function(synth, "inference")["Environment"]["Variables"]
    assert {k: variables[k] for k in ("DECODER_WORKERS", "INFERENCE_WORKERS", "PIPELINE")} == {
        "DECODER_WORKERS": "1", "INFERENCE_WORKERS": "1", "PIPELINE": "off"}
    # the dispatcher waits for inference synchronously: its timeout must leave room for that
    assert _function(synth, "dispatcher")["Timeout"] > _function(synth, "inference")["Timeout"]


@pytest.mark.parametrize("owner,handler", [("dispatcher", "dispatcher.handler"), ("feedback", "feedback.handler"),
                                           ("review", "review_sampler.handler"), ("links", "feedback_links.handler"),
                                           ("registry", "camera_registry.handler")])
def test_zip_functions_run_the_tested_python_with_the_pinned_powertools_layer(synth, owner, handler):
    props = _function(synth, owner)
    assert props["Handler"] == handler
    # Given the Python these tests run on and the one mypy checks (pyproject.toml), Then the functions run it too
    tested = f"python{sys.version_info.major}.{sys.version_info.minor}"
    mypy = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]["python_version"]
    assert props["Runtime"] == tested == f"python{mypy}"
    # and the Powertools layer is the release the tests run with (lambdas/requirements.txt), not "latest"
    [layer] = props["Layers"]
    parameter = synth.json["Parameters"][layer["Ref"]]
    pinned = re.search(r"^aws-lambda-powertools==(\S+)$", (ROOT / "lambdas" / "requirements.txt").read_text(),
                       re.MULTILINE)
    assert pinned is not None
    assert parameter == {"Type": "AWS::SSM::Parameter::Value<String>",
                         "Default": f"/aws/service/powertools/python/arm64/{tested}/{pinned.group(1)}"}
    assert parameter["Default"] == POWERTOOLS_LAYER_PARAMETER


def test_zip_functions_run_on_arm64_and_the_inference_image_on_x86_64(synth):
    # Given the pure-Python zip functions (arm64 is cheaper per GB-s) and the image whose int8 kernels were measured
    # on x86 only (bench/README.md, "Right-size")
    functions = synth.resources("AWS::Lambda::Function").values()
    zips = [f["Properties"] for f in functions if "Runtime" in f["Properties"] and "Handler" in f["Properties"]]
    assert zips and {tuple(p["Architectures"]) for p in zips} == {("arm64",)}
    assert _function(synth, "inference")["Architectures"] == ["x86_64"]
    # and every layer the stack builds is for the functions' architecture
    layers = synth.resources("AWS::Lambda::LayerVersion").values()
    assert all(layer["Properties"]["CompatibleArchitectures"] == ["arm64"] for layer in layers)


def test_every_zip_function_runs_the_tested_python(synth):
    runtimes = {f["Properties"].get("Runtime") for f in synth.resources("AWS::Lambda::Function").values()
                if "Runtime" in f["Properties"]}
    assert runtimes == {f"python{sys.version_info.major}.{sys.version_info.minor}"}


def test_the_inference_image_is_the_tested_python_and_its_base_an_argument(synth):
    # Given the Dockerfile's base image (an ARG: context inference_base_image pins a digest without editing it)
    dockerfile = (ROOT / "inference_container" / "Dockerfile").read_text()
    base = re.search(r"^ARG BASE_IMAGE=(\S+)$", dockerfile, re.MULTILINE)
    assert base is not None and re.search(r"^FROM \$\{BASE_IMAGE\}$", dockerfile, re.MULTILINE)
    # Then it is the Lambda Python image of the version the tests run on
    assert base.group(1).startswith(f"public.ecr.aws/lambda/python:{sys.version_info.major}.{sys.version_info.minor}")


def test_no_account_id_is_written_into_the_template(synth):
    # Given the template as text, Then no ARN carries a literal account id (layers and ARNs use parameters/refs)
    text = json.dumps(synth.json)
    assert not re.search(r"arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:\d{12}:", text)


@pytest.mark.parametrize("owner", ["dispatcher", "review"])
def test_async_functions_send_failures_to_their_encrypted_dlq_after_bounded_retries(synth, owner):
    construct = getattr(synth.stack, owner)
    configs = [c["Properties"] for c in synth.resources("AWS::Lambda::EventInvokeConfig").values()
               if c["Properties"]["FunctionName"] == {"Ref": synth.logical_id(construct.function)}]
    [config] = configs
    queue = synth.stack.get_logical_id(construct.dead_letter_queue.node.default_child)
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": [queue, "Arn"]}
    assert 0 <= config["MaximumRetryAttempts"] <= 2
    queue_props = synth.json["Resources"][queue]["Properties"]
    assert queue_props.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in queue_props


def test_every_queue_denies_requests_without_tls(synth):
    policies = {ref["Ref"]: p["Properties"]["PolicyDocument"]["Statement"]
                for p in synth.resources("AWS::SQS::QueuePolicy").values() for ref in p["Properties"]["Queues"]}
    for lid in synth.resources("AWS::SQS::Queue"):
        assert any(s["Effect"] == "Deny" and s["Condition"]["Bool"]["aws:SecureTransport"] == "false"
                   for s in policies[lid]), lid


def _rules_targeting(synth, owner) -> list[dict]:
    arn = {"Fn::GetAtt": [synth.logical_id(getattr(synth.stack, owner).function), "Arn"]}
    return [r["Properties"] for r in synth.resources("AWS::Events::Rule").values()
            if any(t["Arn"] == arn for t in r["Properties"]["Targets"])]


def test_dispatcher_runs_every_minute_and_on_uploads_with_a_dlq_on_each_target(synth):
    rules = _rules_targeting(synth, "dispatcher")
    assert [r["ScheduleExpression"] for r in rules if "ScheduleExpression" in r] == ["rate(1 minute)"]
    [uploads] = [r["EventPattern"] for r in rules if "EventPattern" in r]
    # Then only objects created under uploads/ in the video bucket start it
    assert uploads["source"] == ["aws.s3"] and uploads["detail-type"] == ["Object Created"]
    assert uploads["detail"]["object"]["key"] == [{"prefix": names.UPLOADS_PREFIX}]
    assert uploads["detail"]["bucket"]["name"] == [{"Ref": synth.logical_id(synth.stack.storage.video_bucket)}]
    for rule in rules:
        [target] = rule["Targets"]
        assert "DeadLetterConfig" in target and target["RetryPolicy"]["MaximumRetryAttempts"] <= 2


def test_review_sampler_runs_daily(synth):
    [rule] = _rules_targeting(synth, "review")
    assert re.fullmatch(r"cron\(\d+ \d+ \* \* \? \*\)", rule["ScheduleExpression"])


def test_feedback_and_cameras_api_urls_require_iam_auth(synth):
    urls = {u["Properties"]["TargetFunctionArn"]["Fn::GetAtt"][0]
            for u in synth.resources("AWS::Lambda::Url").values() if u["Properties"]["AuthType"] == "AWS_IAM"}
    assert urls == {synth.logical_id(synth.stack.feedback.function), synth.logical_id(synth.stack.registry.function)}


def test_dispatcher_environment_is_the_settings_contract(synth):
    env = _function(synth, "dispatcher")["Environment"]["Variables"]
    required = {names.ENV_VIDEO_BUCKET, names.ENV_VIDEOS_TABLE, names.ENV_CAMERAS_TABLE,
                names.ENV_ALERT_TOPIC_ARN, names.ENV_INFERENCE_FUNCTION,
                names.ENV_RETENTION_DAYS, "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "LOG_LEVEL"}
    assert required <= set(env)
    # no camera is in any function's environment: the tick lists the registry (Lambda's 4 KB would cap the fleet)
    assert not [k for k in env if "CAMERA_IDS" in k]
    assert env[names.ENV_RETENTION_DAYS] == "14"
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "videoalert"
    assert env[names.ENV_FP_MEMORY_TABLE] == {"Ref": synth.logical_id(synth.stack.storage.fp_memory_table)}
    # and the dispatcher settings parse from exactly these variables
    parsed = DispatcherSettings.from_env(_resolved_env(synth, "dispatcher"))
    assert parsed.inference_function == synth.logical_id(synth.stack.inference.function)


def _resolved_env(synth, owner) -> dict[str, str]:
    """The function's environment with CloudFormation references replaced by the logical id they name."""
    env = _function(synth, owner)["Environment"]["Variables"]
    return {k: v if isinstance(v, str) else (v.get("Ref") or v["Fn::GetAtt"][0]) for k, v in env.items()}


def test_review_sampler_settings_parse_from_its_environment(synth):
    parsed = ReviewSettings.from_env(_resolved_env(synth, "review"))
    assert parsed.review_bucket == synth.logical_id(synth.stack.storage.review_bucket)
    assert parsed.cameras_table == synth.logical_id(synth.stack.storage.cameras_table)


def test_no_function_environment_names_a_camera(synth):
    for lid, function in synth.resources("AWS::Lambda::Function").items():
        text = json.dumps(function["Properties"].get("Environment", {}))
        assert "front" not in text and "back-yard" not in text, lid


def test_camera_registry_settings_parse_from_its_environment(synth):
    from videoalert.config.cameras import RegistrySettings

    parsed = RegistrySettings.from_env(_resolved_env(synth, "registry"))
    assert parsed.cameras_table == synth.logical_id(synth.stack.storage.cameras_table)
    assert parsed.stream_key_arn == synth.logical_id(synth.stack.ingest.key)
    assert parsed.stage == "test" and parsed.retention_hours == 24


def test_feedback_settings_parse_from_its_environment(synth):
    parsed = FeedbackSettings.from_env(_resolved_env(synth, "feedback"))
    assert parsed.fp_memory_table == synth.logical_id(synth.stack.storage.fp_memory_table)
    assert parsed.videos_table == synth.logical_id(synth.stack.storage.videos_table)


def _assets(synth) -> dict:
    return json.loads((synth.outdir / f"{synth.stack.stack_name}.assets.json").read_text())


def test_lambda_zip_asset_is_lambdas_without_caches_or_tests(synth):
    # Given the staged file assets, When the one holding the handlers is read
    [staged] = [synth.outdir / a["source"]["path"] for a in _assets(synth)["files"].values()
                if (synth.outdir / a["source"]["path"] / "dispatcher.py").is_file()]
    files = {p.relative_to(staged).as_posix() for p in staged.rglob("*") if p.is_file()}
    assert {"dispatcher.py", "videoalert_contract/names.py", "videoalert/config/dispatcher.py"} <= files
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc") or "tests/" in f]


def test_inference_image_context_stages_only_the_container_code_the_contract_and_the_model(synth):
    [image] = _assets(synth)["dockerImages"].values()
    staged = synth.outdir / image["source"]["directory"]
    assert image["source"]["dockerFile"] == "inference_container/Dockerfile"
    assert image["source"].get("platform") == "linux/amd64"
    top = {p.name for p in staged.iterdir()}
    assert "inference_container" in top
    assert top <= {"inference_container", "lambdas", "models"}
    assert (staged / "inference_container" / "Dockerfile").is_file()
    # of lambdas/, only the contract package the image copies (the Dockerfile's COPY needs it)
    assert {p.name for p in (staged / "lambdas").iterdir()} == {"videoalert_contract"}
    assert (staged / "lambdas" / "videoalert_contract" / "inference.py").is_file()


def test_a_clip_lease_outlasts_the_dispatcher_run_that_holds_it(synth):
    # Given the dispatcher's timeout and its environment
    function = _function(synth, "dispatcher")
    parsed = DispatcherSettings.from_env(_resolved_env(synth, "dispatcher"))
    # Then a lease expires only after the run holding it has ended (so only a dead run's clip is taken over)
    assert function["Environment"]["Variables"][names.ENV_LEASE_SECONDS] == str(parsed.lease_seconds)
    assert parsed.lease_seconds >= function["Timeout"] + 60
