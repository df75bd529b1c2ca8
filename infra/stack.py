"""The videoalert stack: creates one construct per concern, passes resources between them, grants access."""
from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from constructs import Construct

from infra.alerts import Alerts
from infra.camera_workers import MIN_WORKERS, CameraWorkers
from infra.cameras import CameraRegistry
from infra.config import StackConfig
from infra.deliveries import Deliveries
from infra.dispatcher import RESERVED_CONCURRENCY as DISPATCHER_CONCURRENCY
from infra.dispatcher import Dispatcher
from infra.feedback import Feedback
from infra.inference import TIMEOUT as INFERENCE_TIMEOUT
from infra.inference import Inference
from infra.ingest import Ingest
from infra.links import Links
from infra.monitoring import NAMESPACE, Monitoring
from infra.push import WebPush
from infra.review import Review
from infra.storage import Storage
from videoalert_contract import names as env
from videoalert_contract.defaults import LEASE_S

SERVICE_NAMES = {"dispatcher": "videoalert-dispatcher", "camera-worker": "videoalert-camera-worker",
                 "inference": "videoalert-inference",
                 "feedback": "videoalert-feedback", "review": "videoalert-review", "links": "videoalert-links",
                 "cameras": "videoalert-cameras",
                 "deliveries": "videoalert-deliveries"}


class VideoAlertStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        removal = cdk.RemovalPolicy.RETAIN if config.is_production else cdk.RemovalPolicy.DESTROY
        log_level = "INFO"

        def powertools(service: str) -> dict[str, str]:
            return {"POWERTOOLS_SERVICE_NAME": SERVICE_NAMES[service], "POWERTOOLS_METRICS_NAMESPACE": NAMESPACE,
                    "LOG_LEVEL": log_level}

        storage = Storage(self, "Storage", video_retention_days=config.video_retention_days, removal_policy=removal)
        # Nothing below is per camera: cameras are registry items, their streams made at run time (infra/ingest.py).
        ingest = Ingest(self, "Ingest", removal_policy=removal, stack_streams=config.stack_streams,
                        retention_hours=config.stream_retention_hours)
        # With a verified sender the HTML e-mail (infra/deliveries.py) replaces SNS's text e-mail to the same people.
        alerts = Alerts(self, "Alerts", emails=() if config.alert_email_from else config.alert_emails,
                        removal_policy=removal)
        workers_count = config.worker_concurrency or MIN_WORKERS
        reserve = config.reserved_concurrency
        inference = Inference(self, "Inference", environment=powertools("inference"), removal_policy=removal,
                              reserved_concurrency=workers_count + DISPATCHER_CONCURRENCY if reserve else None,
                              base_image=config.inference_base_image)

        bucket, videos, cameras, fp_memory = (storage.video_bucket.bucket_name, storage.videos_table.table_name,
                                              storage.cameras_table.table_name, storage.fp_memory_table.table_name)
        links = Links(self, "Links", removal_policy=removal, reserve=reserve, environment={
            env.ENV_VIDEOS_TABLE: videos, env.ENV_CAMERAS_TABLE: cameras, env.ENV_FP_MEMORY_TABLE: fp_memory,
            env.ENV_SPENT_TOKENS_TABLE: storage.spent_tokens_table.table_name, env.ENV_VIDEO_BUCKET: bucket,
            **powertools("links")})
        links.function.add_environment(env.ENV_SIGNING_SECRET, links.secret.secret_arn)
        pipeline_env = {
            env.ENV_VIDEO_BUCKET: bucket, env.ENV_VIDEOS_TABLE: videos,
            env.ENV_CAMERAS_TABLE: cameras, env.ENV_FP_MEMORY_TABLE: fp_memory,
            env.ENV_ALERT_TOPIC_ARN: alerts.topic.topic_arn,
            env.ENV_INFERENCE_FUNCTION: inference.function.function_name,
            env.ENV_RETENTION_DAYS: str(config.video_retention_days),
            env.ENV_LEASE_SECONDS: str(LEASE_S),
            # the alert's one-tap links: the signing key's secret and the public endpoint they point at
            env.ENV_SIGNING_SECRET: links.secret.secret_arn,
            env.ENV_LINKS_BASE_URL: links.url.url,
        }
        workers = CameraWorkers(self, "CameraWorkers", concurrency=workers_count, removal_policy=removal,
                                reserve=reserve,
                                environment={**pipeline_env, **powertools("camera-worker")})
        dispatcher = Dispatcher(self, "Dispatcher", video_bucket=storage.video_bucket, removal_policy=removal,
                                reserve=reserve,
                                environment={**pipeline_env,
                                             env.ENV_CAMERA_JOBS_QUEUE_URL: workers.queue.queue_url,
                                             **powertools("dispatcher")})
        feedback = Feedback(self, "Feedback", removal_policy=removal, environment={
            env.ENV_VIDEOS_TABLE: videos, env.ENV_CAMERAS_TABLE: cameras, env.ENV_FP_MEMORY_TABLE: fp_memory,
            **powertools("feedback")})
        review = Review(self, "Review", removal_policy=removal, environment={
            env.ENV_VIDEO_BUCKET: bucket, env.ENV_VIDEOS_TABLE: videos, env.ENV_CAMERAS_TABLE: cameras,
            env.ENV_REVIEW_BUCKET: storage.review_bucket.bucket_name, **powertools("review")})
        registry = CameraRegistry(self, "Cameras", removal_policy=removal, seed_cameras=config.cameras,
                                  seed_retention_hours=config.stream_retention_hours, environment={
                                      env.ENV_CAMERAS_TABLE: cameras, env.ENV_VIDEOS_TABLE: videos,
                                      env.ENV_STREAM_KEY_ARN: ingest.key.key_arn, env.ENV_STAGE: config.stage,
                                      env.ENV_STREAM_RETENTION_HOURS: str(config.stream_retention_hours),
                                      **powertools("cameras")})

        # Least privilege: each grant names the resource and the actions, nothing else.
        storage.grant_read_videos(inference.function)
        # The tick and upload router: lists the cameras (registering deploy-time ones), sends their jobs; it also runs
        # redrives, which score recorded clips again (presigned clip URLs, inference, the decision, the alert).
        storage.grant_read_videos(dispatcher.function)
        storage.grant_calls(dispatcher.function, storage.videos_table, "GetItem", "PutItem", "UpdateItem", "Query",
                            "Scan")  # Scan: redrive of FAILED clips
        storage.grant_calls(dispatcher.function, storage.cameras_table, "GetItem", "Scan")  # the tick lists cameras
        storage.grant_calls(dispatcher.function, storage.fp_memory_table, "Query")  # suppression reads it
        inference.grant_invoke(dispatcher.function)
        alerts.grant_publish(dispatcher.function)
        workers.queue.grant_send_messages(dispatcher.function)
        # The camera worker: cuts windows from the streams and takes uploads (S3), records them, scores, decides,
        # alerts; the cursor and the camera lease are UpdateItems on the cameras table. Its event source reads the
        # queue (CDK grants the consume actions on that queue only).
        storage.grant_read_videos(workers.function)
        storage.grant_write_videos(workers.function)
        storage.grant_read_uploads(workers.function)
        storage.grant_delete_segments(workers.function)
        storage.grant_calls(workers.function, storage.videos_table, "GetItem", "PutItem", "UpdateItem", "Query")
        storage.grant_calls(workers.function, storage.cameras_table, "GetItem", "UpdateItem")  # cursor, lease
        storage.grant_calls(workers.function, storage.fp_memory_table, "Query")
        ingest.grant_read_clips(workers.function)
        inference.grant_invoke(workers.function)
        alerts.grant_publish(workers.function)
        storage.grant_calls(feedback.function, storage.videos_table, "GetItem", "UpdateItem")  # records the label
        storage.grant_calls(feedback.function, storage.fp_memory_table, "Query", "BatchWriteItem")
        storage.grant_calls(feedback.function, storage.cameras_table, "GetItem")
        # The public links function: label (as feedback does), spend tokens, read the camera's events, presign media.
        storage.grant_calls(links.function, storage.videos_table, "GetItem", "UpdateItem", "Query")
        storage.grant_calls(links.function, storage.fp_memory_table, "Query", "BatchWriteItem")
        # Scan: the cameras an every-camera review link lists (ids only)
        storage.grant_calls(links.function, storage.cameras_table, "GetItem", "Scan")
        storage.grant_calls(links.function, storage.spent_tokens_table, "PutItem")
        storage.grant_read_videos(links.function)  # presigned frame and clip links are signed with its role
        links.grant_read_key(links.function)
        links.grant_read_key(dispatcher.function)  # signs the links of a redriven clip's alert
        storage.grant_write_videos(dispatcher.function)  # and writes its best frame under the video's id
        links.grant_read_key(workers.function)  # signs the alert's links (its frame: grant_write_videos above)
        storage.grant_calls(review.function, storage.videos_table, "Query")
        storage.grant_calls(review.function, storage.cameras_table, "GetItem", "Scan")
        storage.grant_read_videos(review.function)  # copy source of sampled clips
        storage.grant_review_sampling(review.function)
        # The camera registry: registers, lists, removes cameras and records an adopted stream; reads a camera's
        # records for its health (by_camera, due_by_camera); creates, describes and deletes the product's streams.
        storage.grant_calls(registry.function, storage.cameras_table, "GetItem", "PutItem", "UpdateItem",
                            "DeleteItem", "Scan")
        storage.grant_calls(registry.function, storage.videos_table, "Query")
        ingest.grant_manage_streams(registry.function)

        push = WebPush(self, "WebPush", removal_policy=removal) if config.web_push else None
        if push is not None:  # the review page's notification button stores subscriptions through the links function
            links.function.add_environment(env.ENV_PUSH_TABLE, push.table.table_name)
            links.function.add_environment(env.ENV_VAPID_SECRET, push.secret.secret_arn)
            push.grant_subscribe(links.function)
        deliveries = None
        if config.has_deliveries:
            deliveries = Deliveries(self, "Deliveries", topic=alerts.topic, removal_policy=removal, environment={
                env.ENV_VIDEOS_TABLE: videos, env.ENV_VIDEO_BUCKET: bucket, **powertools("deliveries"),
                **({env.ENV_ALERT_EMAIL_FROM: config.alert_email_from,
                    env.ENV_ALERT_EMAIL_TO: ",".join(config.alert_emails)} if config.alert_email_from else {}),
                **({env.ENV_WEBHOOK_URL: config.alert_webhook_url,
                    env.ENV_WEBHOOK_SECRET: config.alert_webhook_secret_arn}
                   if config.alert_webhook_url and config.alert_webhook_secret_arn else {}),
                **({env.ENV_PUSH_TABLE: push.table.table_name, env.ENV_VAPID_SECRET: push.secret.secret_arn}
                   if push is not None else {})},
                layers=[push.layer] if push is not None else [])
            storage.grant_calls(deliveries.function, storage.videos_table, "GetItem", "UpdateItem")  # delivered_*
            storage.grant_read_videos(deliveries.function)  # the best frame, inline in the e-mail
            if config.alert_email_from:
                deliveries.grant_send_email(config.alert_email_from)
            if config.alert_webhook_secret_arn:
                deliveries.grant_read_secret(config.alert_webhook_secret_arn)
            if push is not None:
                push.grant_send(deliveries.function)

        monitoring = Monitoring(
            self, "Monitoring", stage=config.stage,
            functions={"dispatcher": dispatcher.function, "camera-worker": workers.function,
                       "inference": inference.function,
                       "feedback": feedback.function, "review": review.function, "links": links.function,
                       "camera-registry": registry.function,
                       **({"deliveries": deliveries.function} if deliveries else {})},
            dead_letter_queues={"dispatcher": dispatcher.dead_letter_queue, "camera-jobs": workers.dead_letter_queue,
                                "review": review.dead_letter_queue,
                                "alert-delivery": alerts.undelivered_queue,
                                "camera-health": registry.dead_letter_queue,
                                **({"alert-deliveries": deliveries.dead_letter_queue} if deliveries else {})},
            # the pipeline's metrics: every clip's from the workers, a redriven clip's from the dispatcher
            pipeline_services=(SERVICE_NAMES["camera-worker"], SERVICE_NAMES["dispatcher"]),
            registry_service=SERVICE_NAMES["cameras"],
            inference_function=inference.function,
            inference_timeout=INFERENCE_TIMEOUT, job_queue=workers.queue, ops_emails=config.ops_emails,
            removal_policy=removal)

        outputs = {
            "VideoBucketName": bucket, "ReviewBucketName": storage.review_bucket.bucket_name,
            "VideosTableName": videos, "CamerasTableName": cameras, "FpMemoryTableName": fp_memory,
            "AlertTopicArn": alerts.topic.topic_arn, "OpsTopicArn": monitoring.ops_topic.topic_arn,
            "DispatcherFunctionName": dispatcher.function.function_name,
            "CameraWorkerFunctionName": workers.function.function_name,
            "CameraJobsQueueUrl": workers.queue.queue_url,
            "InferenceFunctionName": inference.function.function_name,
            "FeedbackFunctionName": feedback.function.function_name,
            "ReviewFunctionName": review.function.function_name,
            "FeedbackUrl": feedback.url.url,
            "FeedbackLinksUrl": links.url.url,
            "LinksFunctionName": links.function.function_name,
            "SpentTokensTableName": storage.spent_tokens_table.table_name,
            "DashboardName": monitoring.dashboard.dashboard_name,
            "CameraProducerPolicyArn": ingest.producer_policy.managed_policy_arn,
            "StreamKeyArn": ingest.key.key_arn,
            "StageName": config.stage,
            "CamerasApiUrl": registry.url.url,
            "CameraRegistryFunctionName": registry.function.function_name,
        }
        if push is not None:
            outputs |= {"PushSubscriptionsTableName": push.table.table_name, "VapidSecretArn": push.secret.secret_arn}
        for name, value in outputs.items():
            cdk.CfnOutput(self, name, value=value)
        self.storage, self.ingest, self.alerts, self.inference = storage, ingest, alerts, inference
        self.dispatcher, self.feedback, self.review, self.monitoring = dispatcher, feedback, review, monitoring
        self.workers, self.links, self.registry, self.deliveries = workers, links, registry, deliveries
        self.push = push
