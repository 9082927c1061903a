"""The sandbox's Custobar endpoint: the customer upload, with its partial-update semantics."""

import base64
import binascii

from syncs.sandbox import validation as v
from syncs.sandbox.replies import Reply, summary


class CustobarEndpoints:
    """Mixed into SandboxApp: uses its lock, config and state."""

    def _custobar_auth(self, headers) -> Reply | None:
        config = self.config
        scheme, _, credential = (headers.get("Authorization") or "").partition(" ")
        credential = credential.strip()
        if not scheme:
            return Reply(401, {"detail": "Authentication credentials were not provided."})
        if (
            scheme.lower() == "token"
            and config.custobar_token
            and credential == config.custobar_token
        ):
            return None
        if scheme.lower() == "basic" and config.custobar_username:
            try:
                decoded = base64.b64decode(credential, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            if decoded == f"{config.custobar_username}:{config.custobar_password}":
                return None
        return Reply(401, {"detail": "Invalid username/password or token."})

    def _custobar_upload(self, body) -> Reply:
        items, problems = v.batch_items(body, "customers", self.config.max_items)
        if items is not None and not problems:
            for index, item in enumerate(items):
                v.check_custobar_customer(problems, f"customers[{index}]", item)
                identifiers = {str(item.get(k)) for k in v.CUSTOBAR_IDENTIFIERS if item.get(k)}
                if identifiers & set(self.config.reject_customers):
                    problems.add(
                        "CUSTOMER_REJECTED", f"customers[{index}]", "customer was rejected"
                    )
        if problems:
            return Reply(
                400, {"error": summary(problems), "errors": [p["message"] for p in problems[:50]]}
            )
        with self.lock:
            for item in items:
                self._custobar_apply(item)
            if self._take("mismatch_next"):
                return (
                    Reply(200, text="OK")
                    if self.config.mismatch_mode == "garble"
                    else Reply(200, {"response": "queued"})
                )
        return Reply(200, {"response": "ok"})

    def _custobar_apply(self, item: dict) -> None:
        """Custobar's merge: only sent keys change, "" removes one, list edits add/remove."""
        record_id = next(
            (
                self.custobar_index[(key, str(item[key]))]
                for key in v.CUSTOBAR_IDENTIFIERS
                if item.get(key) and (key, str(item[key])) in self.custobar_index
            ),
            None,
        )
        if record_id is None:
            record_id = len(self.custobar) + 1
            self.custobar[record_id] = {}
        record = self.custobar[record_id]
        for key, value in item.items():
            base, _, edit = key.partition(".")
            if edit in ("add", "remove"):
                values = [value] if isinstance(value, str) else value
                current = record.get(base) or []
                current = [current] if isinstance(current, str) else list(current)
                if edit == "add":
                    current += [x for x in values if x not in current]
                else:
                    current = [x for x in current if x not in values]
                record[base] = current
            elif value == "":
                record.pop(key, None)
            elif key in ("is_deleted", "is_forgotten"):
                # Neither can be undone: false is ignored once true.
                record[key] = record.get(key, False) or value
            elif key == "mailing_lists" and isinstance(value, str):
                record[key] = [value]
            else:
                record[key] = value
        if record.get("is_forgotten"):
            keep = {"external_id", "is_deleted", "is_forgotten"}
            for key in list(record):
                if key not in keep:
                    record.pop(key)
        for key in v.CUSTOBAR_IDENTIFIERS:
            if record.get(key):
                self.custobar_index[(key, str(record[key]))] = record_id
