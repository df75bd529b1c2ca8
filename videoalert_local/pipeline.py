"""The local pipeline: the emulators (moto server, the KVS stand-in, the links server) with the stack's resources,
the camera seeded, and the real handlers wired to them."""
from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import emulator, handlers
from .emulator import LocalResources
from .events import connect_upload_notifications
from .kvs import LocalKvsEndpoint
from .links_server import serve_links

if TYPE_CHECKING:
    from videoalert.app.dependencies import Dependencies
    from videoalert.config.dispatcher import DispatcherSettings


class NoStreamsLocally:
    """A clip source with no media at all (tests of the upload path only)."""

    def fetch_clip(self, stream_name: str, start: datetime, end: datetime) -> list[bytes]:
        return []


@dataclass
class LocalPipeline:
    """What a local run works on while its emulators run."""

    sess: Any  # boto3 session with the emulator's credentials
    endpoint: str  # moto server
    kvs: LocalKvsEndpoint
    res: LocalResources
    links_url: str
    kvs_client: Any  # kinesisvideo client on the stand-in
    queue_url: str  # S3's upload notifications
    dispatcher: Any  # the dispatcher handler module, its dependencies set to these emulators
    deps: Dependencies[DispatcherSettings]

    def client(self, service: str) -> Any:
        return self.sess.client(service, endpoint_url=self.endpoint)

    def table(self, name: str) -> Any:
        return self.sess.resource("dynamodb", endpoint_url=self.endpoint).Table(name)


def registry_settings() -> Any:
    from videoalert.config.cameras import RegistrySettings
    from videoalert_contract import names

    n = names.local_names()
    return RegistrySettings(cameras_table=n["cameras_table"], videos_table=n["videos_table"], stage="local")


@contextlib.contextmanager
def start_pipeline(camera: str, say: Callable[[str], None]) -> Iterator[LocalPipeline]:
    """Start the emulators, create the stack's resources on them, seed `camera` and wire the handlers; stops them
    all when the block ends. The caller sets MODEL_DIR and the dummy credentials (local_run.run_local)."""
    from videoalert.app.cameras import seed_cameras
    from videoalert.aws.inference import InProcessInferenceClient
    from videoalert.aws.kvs import KvsClipSource
    from videoalert.wiring import build_dependencies, build_links, build_registry

    credentials = emulator.session().get_credentials().get_frozen_credentials()
    links = handlers.links_handler()
    with emulator.moto_server() as endpoint, \
            LocalKvsEndpoint(credentials=credentials, region=emulator.REGION) as kvs, \
            serve_links(links.handler) as links_url:
        os.environ["AWS_ENDPOINT_URL"] = endpoint  # the inference handler's own S3 client goes to the emulator
        say(f"emulators: moto server at {endpoint}, Kinesis Video Streams stand-in at {kvs.url}")
        sess = emulator.session()
        res = emulator.create_resources(sess, endpoint_url=endpoint, cameras=())
        # The public links function (one-tap feedback, the review page) on 127.0.0.1, as its function URL in AWS.
        links._deps = build_links(res.links_settings(), session=sess, endpoint_url=endpoint)
        say(f"feedback links and review page at {links_url}")
        kvs_client = sess.client("kinesisvideo", endpoint_url=kvs.url)
        # The camera is registered as the stack's deploy-time seed registers it: its stream on the KVS stand-in,
        # then its registry item. `videoalert camera add CAM --local` adds more while --serve runs.
        seed_cameras(build_registry(registry_settings(), session=sess, endpoint_url=endpoint,
                                    kvs_endpoint_url=kvs.url), [camera])
        queue_url = connect_upload_notifications(sess, endpoint, res.video_bucket)
        dispatcher, inference = handlers.import_handlers()
        handlers.handler_logs_to_stderr()
        inference.reset_runtime()  # the model is loaded from MODEL_DIR on the first clip
        deps = build_dependencies(res.settings(links_base_url=links_url), session=sess, endpoint_url=endpoint,
                                  inference=InProcessInferenceClient(inference.handler),
                                  clip_source=KvsClipSource(kvs_client))
        dispatcher._dependencies = deps
        yield LocalPipeline(sess=sess, endpoint=endpoint, kvs=kvs, res=res, links_url=links_url,
                            kvs_client=kvs_client, queue_url=queue_url, dispatcher=dispatcher, deps=deps)
