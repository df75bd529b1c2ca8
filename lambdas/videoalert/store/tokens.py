"""Spent link tokens: each one-tap token labels once. The conditional put is the replay check; the item expires
(DynamoDB TTL) when the token does, as a replay after that is refused as expired anyway."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from videoalert.domain.ids import iso
from videoalert_contract.names import SPENT_TOKENS_PARTITION_KEY, SPENT_TOKENS_TTL_ATTRIBUTE


class SpentTokens:
    def __init__(self, table: Any):
        self.table = table

    def spend(self, token_id: str, *, subject: str, action: str, expires_at: int, now: datetime) -> bool:
        """Record the token as used; False if it was used before (a replay)."""
        try:
            self.table.put_item(
                Item={SPENT_TOKENS_PARTITION_KEY: token_id, "subject": subject, "action": action,
                      "spent_at": iso(now), SPENT_TOKENS_TTL_ATTRIBUTE: int(expires_at)},
                ConditionExpression=Attr(SPENT_TOKENS_PARTITION_KEY).not_exists())
        except ClientError as err:
            if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True
