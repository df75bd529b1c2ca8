"""Operations view (issue 6): ops topic, dashboard and alarms over Lambda, SQS and the functions' EMF metrics.

Metric contract (what the functions emit with Powertools, namespace ``videoalert``):
totals carry the dimension ``service`` = the POWERTOOLS_SERVICE_NAME of the function that emits them: the camera
workers' (every clip of the pipeline) and the dispatcher's (the clips its redrives score), summed here; per-camera
series
``ClipsReceivedByCamera`` and ``AlertsByCamera`` carry ``camera_id`` and ``service`` (the dashboard finds them with a
SEARCH expression: nothing here is per camera); the fleet health check (the camera registry's service) emits
``CamerasRegistered`` and one count per state (``CamerasOffline``, ``CamerasOnline``, ``CamerasQuiet``, ...).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.keys import ExplicitKey
from infra.queues import dead_letter_queue

NAMESPACE = "videoalert"
PERIOD = cdk.Duration.minutes(5)
THROUGHPUT_METRICS = ("ClipsReceived", "ClipsProcessed", "ClipsFailed", "ClipsRejected", "IdleWindows")
ERROR_METRICS = ("ClipsFailed", "CameraRunErrors", "MalformedEvents", "Recovered")
# Sustained failure, not one bad clip: every 5-minute period of 15 minutes has a failure.
FAILURE_PERIODS = 3
# The health check counts a continuous camera with no clip for 15 minutes as offline; it runs every 5 minutes, and
# three offline checks in a row alarm (a camera restarting is not paged).
OFFLINE_PERIODS = 3
DURATION_ALARM_FRACTION = 0.8
# Static guard that works from day one (anomaly detection needs history): half the clips of an hour alerting.
ALERT_STORM_RATIO = 0.5
ALERT_STORM_MIN_CLIPS = 10
ANOMALY_STD_DEVS = 3
# A tick's jobs should be taken within seconds (the alert budget is 20 s after a minute ends); a minute means the
# workers are short of concurrency or a camera's group is blocked.
JOB_AGE_ALARM_S = 60


class Monitoring(Construct):
    """Dashboard and alarms; every alarm notifies the KMS-encrypted operations topic."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: str,
                 functions: Mapping[str, lambda_.IFunction], dead_letter_queues: Mapping[str, sqs.IQueue],
                 pipeline_services: Sequence[str], registry_service: str, inference_function: lambda_.IFunction,
                 inference_timeout: cdk.Duration, job_queue: sqs.IQueue, ops_emails: Sequence[str],
                 removal_policy: cdk.RemovalPolicy) -> None:
        super().__init__(scope, construct_id)
        self._services = tuple(pipeline_services)  # the first is the camera workers'
        self._registry_service = registry_service
        self.key = ExplicitKey(self, "OpsTopicKey", description="videoalert: operations topic",
                               removal_policy=removal_policy,
                               publishing_services=["cloudwatch.amazonaws.com"]).key
        self.ops_topic = sns.Topic(self, "OpsTopic", display_name="videoalert operations", master_key=self.key,
                                   enforce_ssl=True)
        self.undelivered_queue = dead_letter_queue(self, "UndeliveredOpsMessages")
        for email in ops_emails:
            self.ops_topic.add_subscription(subscriptions.EmailSubscription(
                email, dead_letter_queue=self.undelivered_queue))
        self._action = cw_actions.SnsAction(self.ops_topic)
        self.alarms: dict[str, cw.Alarm] = {}

        for name, function in functions.items():
            self._alarm(f"{name}-errors", function.metric_errors(period=PERIOD, statistic="Sum"),
                        threshold=1, description=f"The {name} function raised errors.")
            self._alarm(f"{name}-throttles", function.metric_throttles(period=PERIOD, statistic="Sum"),
                        threshold=1, description=f"The {name} function was throttled.")
        dead_letter_queues = {**dead_letter_queues, "ops-delivery": self.undelivered_queue}
        for name, queue in dead_letter_queues.items():
            self._alarm(f"{name}-dlq-not-empty",
                        queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
                        threshold=1, description=f"Events that {name} could not process are waiting in its DLQ.")
        # A camera job waiting this long means the workers do not keep up with the ticks (alerts arrive late).
        self._alarm("camera-jobs-late",
                    job_queue.metric_approximate_age_of_oldest_message(period=cdk.Duration.minutes(1),
                                                                       statistic="Maximum"),
                    threshold=JOB_AGE_ALARM_S, periods=3, datapoints=3,
                    comparison=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    description=f"The oldest camera job has waited over {JOB_AGE_ALARM_S} s for 3 minutes: the "
                                "workers fall behind the ticks and alerts arrive late.")
        timeout_ms = inference_timeout.to_milliseconds()
        self._alarm("inference-duration-near-timeout",
                    inference_function.metric_duration(period=PERIOD, statistic="p99"),
                    threshold=DURATION_ALARM_FRACTION * timeout_ms, periods=3, datapoints=2,
                    comparison=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    description=f"Inference p99 duration is above {DURATION_ALARM_FRACTION:.0%} of its "
                                f"{timeout_ms / 1000:.0f} s timeout.")
        self._alarm("clips-failing", self._metric("ClipsFailed", for_alarm=True), threshold=1,
                    periods=FAILURE_PERIODS, datapoints=FAILURE_PERIODS,
                    description="Clips failed in every 5-minute period for 15 minutes.")
        self._alarm("camera-runs-failing", self._metric("CameraRunErrors", for_alarm=True), threshold=1,
                    periods=FAILURE_PERIODS, datapoints=FAILURE_PERIODS,
                    description="A camera's scheduled run stopped with an error in every period for 15 minutes.")
        self._alarm("clips-recovered", self._metric("Recovered", for_alarm=True), threshold=1,
                    periods=FAILURE_PERIODS, datapoints=FAILURE_PERIODS,
                    description="Clips left open by a dead run (expired lease, never claimed, alert "
                                "not sent) were recovered in every period for 15 minutes: runs keep dying.")
        self._fleet_alarms()

        self.dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=f"videoalert-{stage}-{cdk.Aws.REGION}",
                                      default_interval=cdk.Duration.hours(6))
        self._dashboard_widgets(functions, dead_letter_queues)

    # ---------------------------------------------------------------------------------------- metrics
    def _metric(self, name: str, *, statistic: str = "Sum", period: cdk.Duration = PERIOD,
                for_alarm: bool = False) -> cw.IMetric:
        """A pipeline metric: its sum over the functions that emit it (FILL: one of them silent in a period adds 0);
        a statistic that does not add up (an average, a percentile) is the camera workers' alone."""
        per_service = [cw.Metric(namespace=NAMESPACE, metric_name=name, dimensions_map={"service": service},
                                 statistic=statistic, period=period) for service in self._services]
        if statistic != "Sum" or len(per_service) == 1:
            return per_service[0].with_(label=name)
        ids = [f"{name.lower()}_{i}" for i in range(len(per_service))]  # unique within a ratio of two such sums
        return cw.MathExpression(expression=" + ".join(f"FILL({i}, 0)" for i in ids),
                                 using_metrics=dict(zip(ids, per_service, strict=True)),
                                 label=None if for_alarm else name, period=period)

    def _alarm(self, name: str, metric: cw.IMetric, *, threshold: float, description: str, periods: int = 1,
               datapoints: int | None = None,
               comparison: cw.ComparisonOperator = cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
               missing: cw.TreatMissingData = cw.TreatMissingData.NOT_BREACHING) -> cw.Alarm:
        alarm = cw.Alarm(self, f"Alarm-{name}", metric=metric, threshold=threshold, evaluation_periods=periods,
                         datapoints_to_alarm=datapoints or periods, comparison_operator=comparison,
                         treat_missing_data=missing, alarm_description=description)
        self._notify(alarm)
        self.alarms[name] = alarm
        return alarm

    def _notify(self, alarm: cw.AlarmBase) -> None:
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)

    def _fleet_alarms(self) -> None:
        """Camera health as fleet-level alarms: their number does not grow with cameras."""
        offline = cw.Metric(namespace=NAMESPACE, metric_name="CamerasOffline", statistic="Maximum", period=PERIOD,
                            dimensions_map={"service": self._registry_service})
        self._alarm("cameras-offline", offline, threshold=1, periods=OFFLINE_PERIODS,
                    description="The health check found a continuous camera with no clip for 15 minutes in three "
                                "checks in a row (motion-triggered cameras are never counted): `videoalert camera "
                                "show` names why; the health check's log lists the offline cameras.")
        hourly = cdk.Duration.hours(1)
        ratio = cw.MathExpression(
            expression=f"IF(clips >= {ALERT_STORM_MIN_CLIPS}, alerts / clips, 0)",
            using_metrics={"alerts": self._metric("Alerts", period=hourly, for_alarm=True),
                           "clips": self._metric("ClipsReceived", period=hourly, for_alarm=True)},
            label="alert ratio", period=hourly)
        self._alarm("alert-storm", ratio, threshold=ALERT_STORM_RATIO,
                    comparison=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    description=f"More than {ALERT_STORM_RATIO:.0%} of the fleet's clips alerted in an hour.")
        anomaly = cw.AnomalyDetectionAlarm(
            self, "Alarm-alert-rate-anomaly", metric=self._metric("Alerts", period=hourly, for_alarm=True),
            evaluation_periods=1, std_devs=ANOMALY_STD_DEVS,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_UPPER_THRESHOLD,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            alarm_description="The fleet's hourly alerts are above their usual band.")
        self._notify(anomaly)
        self.alarms["alert-rate-anomaly"] = anomaly

    # -------------------------------------------------------------------------------------- dashboard
    def _dashboard_widgets(self, functions: Mapping[str, lambda_.IFunction],
                           dead_letter_queues: Mapping[str, sqs.IQueue]) -> None:
        half = 12  # two widgets per 24-column row
        self.dashboard.add_widgets(
            cw.GraphWidget(title="Throughput: clips per 5 min", width=half,
                           left=[self._metric(n) for n in THROUGHPUT_METRICS]),
            cw.GraphWidget(title="Alerts, suppressed (false-positive memory) and cooldowns per 5 min", width=half,
                           left=[self._metric("Alerts"), self._metric("Suppressed"), self._metric("Cooldowns")]),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(title="Latency: function duration p50 / p99 (ms)", width=half,
                           left=[f.metric_duration(period=PERIOD, statistic=p, label=f"{n} {p}")
                                 for n, f in functions.items() for p in ("p50", "p99")]),
            cw.GraphWidget(title="Per clip: decode and inference ms (p50 / p99), frames", width=half,
                           left=[self._metric(n, statistic=s) for n in ("DecodeMs", "InferenceMs")
                                 for s in ("p50", "p99")],
                           right=[self._metric("Frames", statistic="Average")]),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(title="Errors and throttles per function", width=half,
                           left=[f.metric_errors(period=PERIOD, statistic="Sum", label=f"{n} errors")
                                 for n, f in functions.items()],
                           right=[f.metric_throttles(period=PERIOD, statistic="Sum", label=f"{n} throttles")
                                  for n, f in functions.items()]),
            cw.GraphWidget(title="Pipeline errors per 5 min", width=half,
                           left=[self._metric(n) for n in ERROR_METRICS]),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(title="Cameras by health (registered, online, offline, quiet, new, disabled)", width=half,
                           left=[cw.Metric(namespace=NAMESPACE, metric_name=f"Cameras{state}", statistic="Maximum",
                                           period=PERIOD, dimensions_map={"service": self._registry_service},
                                           label=state)
                                 for state in ("Registered", "Online", "Offline", "Quiet", "New", "Disabled")]),
            cw.GraphWidget(title="Alerts per camera per hour: the 10 cameras alerting most", width=half,
                           left=[cw.MathExpression(
                               expression=f"SLICE(SORT(SEARCH('{{{NAMESPACE},camera_id,service}} "
                                          "MetricName=\"AlertsByCamera\"', 'Sum', 3600), SUM, DESC), 0, 10)",
                               using_metrics={}, label="", period=cdk.Duration.hours(1))]),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(title="Dead-letter queue depth", width=half,
                           left=[q.metric_approximate_number_of_messages_visible(
                               period=PERIOD, statistic="Maximum", label=n) for n, q in dead_letter_queues.items()]),
            cw.AlarmStatusWidget(title="Alarms", width=half, alarms=list(self.alarms.values())),
        )
