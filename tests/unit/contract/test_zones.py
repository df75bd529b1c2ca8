"""Zone and mask geometry (videoalert_contract.zones) and its vectorised twin in the inference image."""
from __future__ import annotations

import numpy as np
import pytest

from videoalert_contract.zones import (
    BadPolygon,
    allowed,
    allowed_fraction,
    contains,
    parse_polygon,
    polygons,
    region_counts,
    to_lists,
)

LEFT_HALF = parse_polygon("0,0 0.5,0 0.5,1 0,1")
TRIANGLE = parse_polygon("0.1,0.1 0.9,0.1 0.5,0.9")
TOP_RIGHT = parse_polygon("0.75,0 1,0 1,0.25 0.75,0.25")


def test_a_polygon_parses_from_pairs_and_round_trips_as_lists():
    assert LEFT_HALF == ((0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0))
    assert polygons(to_lists((LEFT_HALF, TRIANGLE))) == (LEFT_HALF, TRIANGLE)


@pytest.mark.parametrize("text", ["0,0 1,1", "0,0 1,0 2,1", "0,0 0.5,0.5 1,1", "a,b 1,0 1,1", "0,0;1,0;1,nan"],
                         ids=["two-points", "outside", "collinear", "not-numbers", "nan"])
def test_bad_polygons_are_refused(text):
    with pytest.raises(BadPolygon):
        parse_polygon(text)


def test_point_in_polygon():
    assert contains(TRIANGLE, 0.5, 0.3) and not contains(TRIANGLE, 0.15, 0.8)
    assert contains(LEFT_HALF, 0.25, 0.5) and not contains(LEFT_HALF, 0.75, 0.5)


def test_a_point_is_looked_at_inside_a_zone_and_outside_every_mask():
    assert allowed(0.9, 0.5, (), ())  # no zone: the whole frame
    assert not allowed(0.9, 0.5, (LEFT_HALF,), ())  # outside the only zone
    assert allowed(0.2, 0.5, (LEFT_HALF,), ())
    assert not allowed(0.9, 0.1, (), (TOP_RIGHT,))  # inside a mask, with or without zones
    assert not allowed(0.9, 0.1, (LEFT_HALF, TOP_RIGHT), (TOP_RIGHT,))


def test_a_box_counts_when_a_quarter_of_it_is_looked_at():
    zones = (LEFT_HALF,)
    assert allowed_fraction([0.0, 0.0, 0.5, 0.5], zones, ()) == 1.0
    assert allowed_fraction([0.6, 0.0, 1.0, 0.5], zones, ()) == 0.0
    assert allowed_fraction([0.4, 0.0, 0.6, 1.0], zones, ()) == pytest.approx(0.5)
    assert region_counts([0.4, 0.0, 0.6, 1.0], zones, ())  # half in
    assert not region_counts([0.45, 0.0, 0.85, 1.0], zones, ())  # an eighth in
    assert not region_counts([0.75, 0.0, 1.0, 0.25], (), (TOP_RIGHT,))  # all masked
    assert region_counts(None, zones, (TOP_RIGHT,))  # a whole frame counts: its outside was blanked


def test_the_inference_images_raster_matches_the_contracts_points():
    from videoalert_inference.masking import Blanker, allowed_mask

    h, w = 24, 32
    mask = allowed_mask(h, w, (TRIANGLE,), (TOP_RIGHT,))
    expected = np.array([[allowed((x + 0.5) / w, (y + 0.5) / h, (TRIANGLE,), (TOP_RIGHT,)) for x in range(w)]
                         for y in range(h)])
    assert (mask == expected).all() and 0 < mask.sum() < h * w
    image = np.full((h, w, 3), 200, dtype=np.uint8)
    blanked = Blanker((TRIANGLE,), (TOP_RIGHT,), (124.0, 116.0, 104.0))(image)
    assert (blanked[~mask] == [124, 116, 104]).all() and (blanked[mask] == 200).all()
    assert Blanker((), (), (0, 0, 0))(image) is image  # nothing to blank: the same array, no copy


def test_zones_masks_and_best_frame_travel_in_the_inference_request():
    from videoalert_contract.errors import BadInputError
    from videoalert_contract.inference import InferenceRequest

    request = InferenceRequest("v", "b", ("k",), zones=(TRIANGLE,), masks=(TOP_RIGHT,), best_frame=True)
    payload = request.to_payload()
    assert payload["zones"] == to_lists((TRIANGLE,)) and payload["best_frame"] is True
    assert InferenceRequest.from_payload(payload) == request
    assert "zones" not in InferenceRequest("v", "b", ("k",)).to_payload()  # unchanged when unused
    for bad in ({"zones": [[[0, 0], [2, 0], [1, 1]]]}, {"masks": "0,0 1,0 1,1"}, {"best_frame": "yes"}):
        with pytest.raises(BadInputError):
            InferenceRequest.from_payload({"video_id": "v", "bucket": "b", "key": "k", **bad})
