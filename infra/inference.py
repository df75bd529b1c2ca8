"""The inference function: a container image holding videoalert_inference and the released model."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.functions import REPO_ROOT, FunctionBase
from infra.nag import acknowledge, acknowledge_wildcard_resource

MODEL_FILES = ("models/person_classifier.onnx", "models/model_card.json")
# Lambda gives CPU in proportion to memory, one vCPU at 1,769 MB, and bills memory x time: a CPU-bound clip costs
# its CPU seconds x 1.73 GB at any size from there up, plus whatever CPU a second thread adds. One vCPU running the
# sequential path costs least per clip; 3,008 MB (1.7 vCPU) answers sooner for more (bench/README.md, "Right-size").
# A warm process peaks at about 300 MB.
MEMORY_MB = 1769
MB_PER_VCPU = 1769
TIMEOUT = cdk.Duration.seconds(120)
DOCKERFILE = "inference_container/Dockerfile"
# The build context is the repository root, so the image can COPY inference_container/, the contract package
# from lambdas/ and models/. Docker-style ignore rules stage only those (synth then copies kilobytes, not the
# venv or training data).
IMAGE_CONTEXT_EXCLUDE = (
    "*",
    "!inference_container",
    "!lambdas/videoalert_contract",
    "!models",
    "**/__pycache__",
    "**/*.pyc",
    "models/*.ckpt",
    "models/*.pt",
    "models/runs",
)


def scoring_environment(memory_mb: int) -> dict[str, str]:
    """The inference settings for the function's CPU share (videoalert_inference.settings): under 1.5 vCPU, one decoder
    and no pipeline (a second thread mostly adds CPU); from there, the image's parallel defaults (bench.lambda_sizes
    measures each size with these)."""
    if memory_mb < 1.5 * MB_PER_VCPU:
        return {"DECODER_WORKERS": "1", "INFERENCE_WORKERS": "1", "PIPELINE": "off"}
    return {}


class Inference(Construct):
    """Scores one clip: a pure function of (video in S3, sampling settings) -> per-frame person scores."""

    def __init__(self, scope: Construct, construct_id: str, *, environment: dict[str, str],
                 removal_policy: cdk.RemovalPolicy, context_dir: Path = REPO_ROOT, dockerfile: str = DOCKERFILE,
                 exclude: Sequence[str] = IMAGE_CONTEXT_EXCLUDE, reserved_concurrency: int | None = None,
                 base_image: str | None = None) -> None:
        super().__init__(scope, construct_id)
        self.base = FunctionBase(self, "Base", removal_policy=removal_policy)
        self.function = lambda_.DockerImageFunction(
            self, "Function",
            description="videoalert inference: clip in S3 -> per-frame person scores (ONNX Runtime)",
            code=lambda_.DockerImageCode.from_image_asset(
                str(context_dir), file=dockerfile, exclude=list(exclude), ignore_mode=cdk.IgnoreMode.DOCKER,
                platform=ecr_assets.Platform.LINUX_AMD64,
                # the base image pinned by digest (context inference_base_image); None: the Dockerfile's tag
                build_args={"BASE_IMAGE": base_image} if base_image else None),
            architecture=lambda_.Architecture.X86_64,
            memory_size=MEMORY_MB,
            timeout=TIMEOUT,
            role=self.base.role,
            log_group=self.base.log_group,
            tracing=lambda_.Tracing.ACTIVE,
            environment={**environment, **scoring_environment(MEMORY_MB)},
            # Each caller (a camera worker, or a dispatcher redrive) waits on one invoke at a time: reserving as
            # many as there can be callers means a scoring request is never throttled by other functions.
            reserved_concurrent_executions=reserved_concurrency,
        )
        missing = [f for f in MODEL_FILES if not (context_dir / f).is_file()]
        if missing:
            # Synth stays possible (CI, reviews); the image build at deploy would fail on the COPY.
            cdk.Annotations.of(self).add_warning_v2(
                "videoalert:ModelMissing",
                f"released model not found ({', '.join(missing)}): run the training export before deploying")
        acknowledge(self.function, "Serverless-LambdaDLQ",
                    "Invoked only synchronously (RequestResponse) by the camera workers (and the dispatcher's "
                    "redrives), which record a failure "
                    "as FAILED for redrive; there is no asynchronous event to dead-letter.")

    def grant_invoke(self, grantee: iam.IGrantable) -> None:
        self.function.grant_invoke(grantee)
        acknowledge_wildcard_resource(grantee, self.function, ":*",
                                      "lambda:InvokeFunction on this function and its versions/aliases only.")
