"""A Kinesis Video Streams stand-in on 127.0.0.1, for `videoalert run-local` and the tests.

moto has no KVS media plane (its GetClip returns fixed placeholder bytes, and PutMedia is in no Python SDK),
so the local run streams clips with `videoalert push` into this endpoint and the dispatcher's KvsClipSource
reads them back with its real boto3 calls. It serves, over HTTP on one port:

- control plane: CreateStream (with its tags and KMS key id, kept as given), DescribeStream, DeleteStream (by ARN,
  with its fragments), ListTagsForStream, GetDataEndpoint (any APIName; the answer is this endpoint): streams can be
  created and deleted while it runs (`videoalert camera add/remove --local`);
- PutMedia: the Matroska body as it streams in (chunked), one stored fragment per cluster, BUFFERING,
  RECEIVED and PERSISTED acknowledgements per fragment; ERROR acks 4006 (not Matroska), 4002 (fragment over
  10 s), 4001 (fragment over 50 MB), 4004 (timecode lower than the previous fragment's in the session),
  4010 (a block of a track the header does not declare), after which the connection ends, as the service does;
- ListFragments: by producer or server timestamp (both ends inclusive), pages of MaxResults (1000 when not
  given) with NextToken;
- GetClip: the fragments of the range remuxed to MP4 with PyAV (no re-encoding), at most the first 200
  fragments or 100 MB of the range, silently, as the service truncates; "no fragments" is the service's
  ResourceNotFoundException message; a range whose end is not after its start is InvalidArgumentException;
  a track that is not H.264 is UnsupportedStreamMediaTypeException, one without codec private data
  MissingCodecPrivateDataException.

Every request's SigV4 signature is checked against the credentials it is given (the local run's dummy
ones): PutMedia as the producer SDKs sign it (headers only, empty payload), the JSON calls with their body.

Its limits against the real service (also in README.md, "The local KVS stand-in"):
- fragments live in memory, for the life of the process: no retention period, nothing expires, nothing is
  encrypted (no KMS), and there is no IAM: a valid signature with the configured key is all it checks;
- one endpoint for the control and data planes, one region, streams only by name or the ARN it issued;
- no GetMedia, GetImages, HLS/DASH sessions, GetMediaForFragmentList, UpdateDataRetention, TagStream or
  ListStreams; DescribeStream reports every stream ACTIVE at once, DeleteStream removes it at once;
- no service limits are enforced: PutMedia's 5 fragments/s and 12.5 MB/s, connection counts and
  durations, GetClip's rate (`videoalert push` paces itself to 5 fragments/s all the same);
- acknowledgements of a fragment are sent together once the whole cluster is stored (the service sends
  BUFFERING as the fragment starts to arrive), and no IDLE acks;
- producer timestamps are not checked against the clock (the service refuses ones too far in the future
  with 4007) and server timestamps are the arrival time here;
- GetClip's MP4 is a plain (not fragmented) MP4, so its size differs from the service's; a range whose
  fragments came in sessions with different codec settings is refused (InvalidCodecPrivateDataException)
  where the service's behaviour was not checked; audio tracks are not carried into the clip;
- RELATIVE and ABSOLUTE fragment timecodes are both accepted; the header's TimecodeScale is taken as 1 ms.
"""
from __future__ import annotations

from .endpoint import LocalKvsEndpoint
from .wire import chunked_body, verify_sigv4

__all__ = ["LocalKvsEndpoint", "chunked_body", "verify_sigv4"]
