"""The benchmarks' models: torchvision ResNet18 for the naive path, and its ONNX export when no model is released."""
from __future__ import annotations

import json
import sys
from pathlib import Path


def torch_resnet18():
    """ResNet18 with a 1-logit head, random init (timing only: the compute is the released model's)."""
    import torch
    import torchvision

    torch.manual_seed(0)
    return torchvision.models.resnet18(weights=None, num_classes=1).eval()


def export_random_model(target: Path, input_size: int) -> Path:
    """person_classifier.onnx (input, logit, embedding) + a card, like models/, from a random ResNet18."""
    import torch

    from videoalert_inference.model import CARD_FILE, EMBEDDING_OUTPUT, INPUT_NAME, LOGIT_OUTPUT, MODEL_FILE
    from videoalert_inference.preprocess import PreprocessSpec

    class LogitAndEmbedding(torch.nn.Module):
        def __init__(self, resnet):
            super().__init__()
            self.resnet = resnet

        def forward(self, x):
            r = self.resnet
            x = r.layer4(r.layer3(r.layer2(r.layer1(r.maxpool(r.relu(r.bn1(r.conv1(x))))))))
            embedding = torch.flatten(r.avgpool(x), 1)
            return r.fc(embedding), embedding

    target.mkdir(parents=True, exist_ok=True)
    net = LogitAndEmbedding(torch_resnet18()).eval()
    torch.onnx.export(net, (torch.zeros(2, 3, input_size, input_size),), str(target / MODEL_FILE),
                      input_names=[INPUT_NAME], output_names=[LOGIT_OUTPUT, EMBEDDING_OUTPUT],
                      dynamic_axes={INPUT_NAME: {0: "N"}, LOGIT_OUTPUT: {0: "N"}, EMBEDDING_OUTPUT: {0: "N"}},
                      opset_version=17, dynamo=False)
    card = {"model_version": f"random-resnet18-{input_size}", "classes": ["not_person", "person"],
            "positive_class": "person", "preprocess": PreprocessSpec(input_size=input_size).to_card(),
            "threshold": 0.5, "threshold_policy": {}, "metrics": {}, "training_data_sha256": "",
            "git_commit": "", "created_at": "", "files": {"fp32": MODEL_FILE, "int8": None}}
    (target / CARD_FILE).write_text(json.dumps(card, indent=2))
    return target


if __name__ == "__main__" and sys.argv[1:2] == ["export"]:
    export_random_model(Path(sys.argv[2]), int(sys.argv[3]))
