"""No secret and no real AWS account ID is committed."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Documentation and test placeholders, not accounts: AWS's own example ID, moto's default, zeros.
PLACEHOLDER_ACCOUNTS = {"123456789012", "000000000000", "111111111111", "111122223333"}
ACCOUNT_IN_ARN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):")
ACCOUNT_FIELD = re.compile(r"(?i)(?:account[_ -]?id|aws_account)\W{1,4}(\d{12})\b")
SECRETS = {
    "access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |OPENSSH )?PRIVATE KEY-----"),
    "secret access key": re.compile(r"(?i)aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+]{40}"),
}


def tracked_text_files() -> list[Path]:
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    files = []
    for name in filter(None, names):
        path = ROOT / name.decode()
        if path.suffix in {".onnx", ".png", ".jpg", ".mp4", ".pt", ".ckpt"} or not path.is_file():
            continue
        files.append(path)
    return files


def test_no_real_account_id_or_secret_is_committed():
    findings = []
    files = tracked_text_files()
    assert len(files) > 20  # the scan really ran over the repository
    for path in files:
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        for pattern in (ACCOUNT_IN_ARN, ACCOUNT_FIELD):
            findings += [f"{path.relative_to(ROOT)}: account {m}" for m in pattern.findall(text)
                         if m not in PLACEHOLDER_ACCOUNTS]
        findings += [f"{path.relative_to(ROOT)}: {what}" for what, p in SECRETS.items() if p.search(text)]
    assert findings == []


def test_the_scanner_catches_what_it_looks_for():
    # Built at run time so this file itself holds nothing the scan would flag.
    sample = ("arn:aws:iam::" + "98765" + "4321098:role/x " + "AKIA" + "ABCDEFGHIJKLMNOP "
              + "-----BEGIN RSA " + "PRIVATE KEY-----")
    assert ACCOUNT_IN_ARN.findall(sample) == ["987654321098"]
    assert SECRETS["access key id"].search(sample) and SECRETS["private key"].search(sample)
