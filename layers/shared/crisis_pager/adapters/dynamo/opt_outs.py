"""The OptOuts port: one item per opted-out phone (STOP, or Twilio's 21610) in the
incidents table."""

from __future__ import annotations

from datetime import datetime

from .conditional import delete_if, put_if
from .items import OPT_OUT_SK, OptOutItem, phone_pk


class DynamoOptOuts:
    def opted_out(self, phone: str) -> bool:
        try:
            OptOutItem.get(phone_pk(phone), OPT_OUT_SK, consistent_read=True)
        except OptOutItem.DoesNotExist:
            return False
        return True

    def opt_out(self, phone: str, now: datetime, via: str) -> bool:
        return put_if(OptOutItem(phone_pk(phone), OPT_OUT_SK, opted_out_at=now, via=via),
                      OptOutItem.pk.does_not_exist())

    def opt_in(self, phone: str) -> bool:
        return delete_if(OptOutItem(phone_pk(phone), OPT_OUT_SK), OptOutItem.pk.exists())
