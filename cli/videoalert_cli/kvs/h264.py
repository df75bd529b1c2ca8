"""H.264 bitstream shapes: Annex B (start codes) and AVCC (length-prefixed) samples, and the avcC record."""
from __future__ import annotations

import re
from typing import TypeGuard

NAL_SPS = 7
NAL_PPS = 8
NAL_AUD = 9
_START_CODE = re.compile(b"\x00\x00\x01")


def nal_type(nal: bytes) -> int:
    return nal[0] & 0x1F


def split_annexb(data: bytes) -> list[bytes]:
    """NAL units of an Annex B byte stream (3- or 4-byte start codes)."""
    starts = [m.end() for m in _START_CODE.finditer(data)]
    nals = []
    for index, start in enumerate(starts):
        end = starts[index + 1] - 3 if index + 1 < len(starts) else len(data)
        nal = data[start:end].rstrip(b"\x00") if index + 1 < len(starts) else data[start:end]
        if nal:
            nals.append(nal)
    return nals


def split_avcc(data: bytes, length_size: int = 4) -> list[bytes]:
    """NAL units of an AVCC sample (each prefixed by its big-endian length)."""
    nals, offset = [], 0
    while offset + length_size <= len(data):
        size = int.from_bytes(data[offset : offset + length_size], "big")
        offset += length_size
        if size == 0 or offset + size > len(data):
            raise ValueError("malformed AVCC sample")
        nals.append(data[offset : offset + size])
        offset += size
    return nals


def join_avcc(nals: list[bytes]) -> bytes:
    return b"".join(len(nal).to_bytes(4, "big") + nal for nal in nals)


def is_avcc_record(extradata: bytes | None) -> TypeGuard[bytes]:
    return extradata is not None and len(extradata) >= 7 and extradata[0] == 1


def avcc_length_size(record: bytes) -> int:
    return (record[4] & 0x03) + 1


def build_avcc_record(sps: list[bytes], pps: list[bytes]) -> bytes:
    """AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.2.4.1) with 4-byte NAL lengths."""
    if not sps or not pps:
        raise ValueError("an avcC record needs at least one SPS and one PPS")
    first = sps[0]
    record = bytearray([1, first[1], first[2], first[3], 0xFC | 3, 0xE0 | len(sps)])
    for unit in sps:
        record += len(unit).to_bytes(2, "big") + unit
    record.append(len(pps))
    for unit in pps:
        record += len(unit).to_bytes(2, "big") + unit
    return bytes(record)


def parameter_sets(nals: list[bytes]) -> tuple[list[bytes], list[bytes]]:
    sps = [n for n in nals if nal_type(n) == NAL_SPS]
    pps = [n for n in nals if nal_type(n) == NAL_PPS]
    return sps, pps


class AvccNormalizer:
    """Turns a demuxer's or encoder's H.264 packets into AVCC samples and one avcC codec private record.

    MP4 sources carry avcC extradata and length-prefixed packets; RTSP sources and libx264 give Annex B,
    sometimes with no extradata at all, so the parameter sets are then taken from the first keyframe.
    """

    def __init__(self, extradata: bytes | None):
        self.codec_private: bytes | None = None
        self._length_size: int | None = None
        self._pending: list[bytes] = []
        if is_avcc_record(extradata):
            self.codec_private = self._four_byte_lengths(bytes(extradata))
            self._length_size = avcc_length_size(bytes(extradata))
        elif extradata:
            self._pending = split_annexb(bytes(extradata))

    @staticmethod
    def _four_byte_lengths(record: bytes) -> bytes:
        return record[:4] + bytes([(record[4] & 0xFC) | 3]) + record[5:]

    def sample(self, packet: bytes, keyframe: bool) -> bytes:
        nals = split_avcc(packet, self._length_size) if self._length_size is not None else split_annexb(packet)
        if self.codec_private is None and keyframe:
            sps, pps = parameter_sets(self._pending + nals)
            if sps and pps:
                self.codec_private = build_avcc_record(sps, pps)
        # Access unit delimiters are Annex B framing, not media; Matroska samples omit them.
        return join_avcc([n for n in nals if nal_type(n) != NAL_AUD])
