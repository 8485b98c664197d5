#!/usr/bin/env python3
"""Provision the local AWS resources described in resources.json.

Used by both local modes:
  * host mode  (localstack/local.sh): DynamoDB Local + LocalStack's runtime without Docker;
  * Docker mode (localstack/docker/...): LocalStack's init hook inside the container.

Idempotent: every resource is looked up first and is created when missing, updated when it
differs from resources.json where AWS allows it (TTL, streams, GSIs, queue attributes, rules,
targets), and left alone otherwise. One line per resource is printed.

Endpoints: DynamoDB uses AWS_ENDPOINT_URL_DYNAMODB, falling back to AWS_ENDPOINT_URL; every
other service uses AWS_ENDPOINT_URL. Region AWS_REGION (default us-east-1), credentials
AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (default test / test). Physical names are
"<prefix>-<name>" with prefix RESOURCE_PREFIX (default from resources.json).

  provision.py                 provision everything (needs boto3)
  provision.py --print-env ... print `export` lines for a shell or test runner (stdlib only)
"""

import argparse
import json
import os
import re
import shlex
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_RESOURCES = os.path.join(HERE, "resources.json")
# LocalStack maps the access key id "test" to this account.
LOCAL_ACCOUNT_ID = "000000000000"
PREFIX_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")


class ProvisionError(Exception):
    pass


# --------------------------------------------------------------------------- definition


def env_var_name(name, suffix):
    return re.sub(r"[^A-Za-z0-9]", "_", name).upper() + suffix


class Stack:
    """resources.json plus the naming rules (physical names, env variable names)."""

    def __init__(self, path, prefix=None):
        try:
            with open(path, encoding="utf-8") as f:
                self.spec = json.load(f)
        except (OSError, ValueError) as e:
            raise ProvisionError(f"cannot read {path}: {e}") from e
        self.prefix = prefix or os.environ.get("RESOURCE_PREFIX") or self.spec.get("defaultPrefix", "reservations")
        if not PREFIX_RE.match(self.prefix):
            raise ProvisionError(
                f"RESOURCE_PREFIX {self.prefix!r} must be lowercase letters, digits and '-' "
                "(it is part of S3 bucket names)"
            )
        self.tables = self.spec.get("tables", [])
        self.event_bus = self.spec.get("eventBus")
        self.consumer_defaults = self.spec.get("consumerDefaults", {})
        self.consumers = self.spec.get("consumers", [])
        self.queues = self.spec.get("queues", [])
        self.buckets = self.spec.get("buckets", [])
        self.ses_identities = self.spec.get("sesIdentities", [])
        self.kms_keys = self.spec.get("kmsKeys", [])
        self.secrets = self.spec.get("secrets", [])
        self.schedule_groups = self.spec.get("scheduleGroups", [])

    def physical(self, name):
        return f"{self.prefix}-{name}"

    def bus_name(self):
        return self.physical(self.event_bus["name"])

    def queue_name(self, consumer):
        return self.physical(consumer["name"])

    def dlq_name(self, consumer):
        return self.physical(consumer["name"] + "-dlq")

    def rule_name(self, consumer):
        return self.physical(consumer["name"])

    def schedule_target_arn(self, group, region, account_id):
        return f"arn:aws:sqs:{region}:{account_id}:{self.physical(group['targetQueue'])}"

    def schedule_role_arn(self, group, account_id):
        return f"arn:aws:iam::{account_id}:role/{self.physical(group['name'])}-scheduler"

    def kms_alias(self, key):
        return f"alias/{self.physical(key['name'])}"

    def consumer_setting(self, consumer, key):
        if key in consumer:
            return consumer[key]
        if key in self.consumer_defaults:
            return self.consumer_defaults[key]
        raise ProvisionError(f"consumer {consumer['name']}: {key} missing (and no consumerDefaults.{key})")

    def env_vars(self, endpoint, region, account_id):
        """(name, value) pairs for every resource, in resources.json order."""
        out = []
        for t in self.tables:
            out.append((t.get("envVar") or env_var_name(t["name"], "_TABLE"), self.physical(t["name"])))
        if self.event_bus:
            out.append((self.event_bus.get("envVar") or "EVENT_BUS_NAME", self.bus_name()))
        for b in self.buckets:
            out.append((b.get("envVar") or env_var_name(b["name"], "_BUCKET"), self.physical(b["name"])))
        for k in self.kms_keys:
            out.append((k.get("envVar") or env_var_name(k["name"], "_KMS_KEY_ID"), self.kms_alias(k)))
        for i, s in enumerate(self.ses_identities):
            default = "SES_FROM_ADDRESS" if i == 0 else env_var_name(s["email"].split("@")[0], "_SES_ADDRESS")
            out.append((s.get("envVar") or default, s["email"]))
        for sec in self.secrets:
            out.append((sec.get("envVar") or env_var_name(sec["name"], "_SECRET_ID"), self.physical(sec["name"])))
        for c in self.consumers + self.queues:
            # LocalStack runs with SQS_ENDPOINT_STRATEGY=path, so the URL needs no DNS name.
            url = f"{endpoint.rstrip('/')}/queue/{region}/{account_id}/{self.queue_name(c)}"
            out.append((c.get("envVar") or env_var_name(c["name"], "_QUEUE_URL"), url))
        for g in self.schedule_groups:
            out.append((g.get("envVar") or env_var_name(g["name"], "_SCHEDULE_GROUP"), self.physical(g["name"])))
            out.append(
                (
                    g.get("targetEnvVar") or env_var_name(g["name"], "_TARGET_ARN"),
                    self.schedule_target_arn(g, region, account_id),
                )
            )
            out.append(
                (g.get("roleEnvVar") or env_var_name(g["name"], "_ROLE_ARN"), self.schedule_role_arn(g, account_id))
            )
        return out


def print_env(stack, args):
    region = args.region or os.environ.get("AWS_REGION") or "us-east-1"
    pairs = [
        ("AWS_ENDPOINT_URL", args.endpoint),
        ("AWS_ENDPOINT_URL_DYNAMODB", args.dynamodb_endpoint or args.endpoint),
        # The stream API is its own service to the SDKs; DynamoDB Local serves both.
        ("AWS_ENDPOINT_URL_DYNAMODB_STREAMS", args.dynamodb_endpoint or args.endpoint),
        ("AWS_REGION", region),
        ("AWS_DEFAULT_REGION", region),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
    ]
    if args.stripe_api_base:
        pairs.append(("STRIPE_API_BASE", args.stripe_api_base))
    pairs.append(("RESOURCE_PREFIX", stack.prefix))
    pairs.extend(stack.env_vars(args.endpoint, region, args.account_id))
    for name, value in pairs:
        print(f"export {name}={shlex.quote(value)}")


# --------------------------------------------------------------------------- provisioning


def report(kind, name, status):
    print(f"{kind:<9} {name:<42} {status}", flush=True)


def error_code(e):
    return getattr(e, "response", {}).get("Error", {}).get("Code", "")


class Provisioner:
    def __init__(self, stack):
        import boto3
        from botocore.config import Config

        self.stack = stack
        self.region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        self.endpoint = os.environ.get("AWS_ENDPOINT_URL")
        self.ddb_endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or self.endpoint
        if not self.endpoint or not self.ddb_endpoint:
            raise ProvisionError(
                "AWS_ENDPOINT_URL is not set: this script only provisions local emulators "
                "(use the CDK app for real AWS)"
            )
        self.session = boto3.session.Session(
            aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID") or "test",
            aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY") or "test",
            aws_session_token=os.environ.get("AWS_SESSION_TOKEN") or None,
            region_name=self.region,
        )
        self.config = Config(
            connect_timeout=5,
            read_timeout=30,
            retries={"max_attempts": 5, "mode": "standard"},
        )
        self._clients = {}

    def client(self, service):
        if service not in self._clients:
            endpoint = self.ddb_endpoint if service == "dynamodb" else self.endpoint
            self._clients[service] = self.session.client(service, endpoint_url=endpoint, config=self.config)
        return self._clients[service]

    def run(self):
        for t in self.stack.tables:
            self.ensure_table(t)
        if self.stack.event_bus:
            self.ensure_event_bus()
        for c in self.stack.consumers:
            self.ensure_consumer(c)
        for q in self.stack.queues:
            self.ensure_plain_queue(q)
        for b in self.stack.buckets:
            self.ensure_bucket(b)
        for s in self.stack.ses_identities:
            self.ensure_ses_identity(s)
        for k in self.stack.kms_keys:
            self.ensure_kms_key(k)
        for sec in self.stack.secrets:
            self.ensure_secret(sec)
        for g in self.stack.schedule_groups:
            self.ensure_schedule_group(g)

    # ---- DynamoDB

    @staticmethod
    def _key_schema(pk, sk):
        ks = [{"AttributeName": pk["name"], "KeyType": "HASH"}]
        if sk:
            ks.append({"AttributeName": sk["name"], "KeyType": "RANGE"})
        return ks

    @staticmethod
    def _projection(gsi):
        p = gsi.get("projection", "ALL")
        if p == "INCLUDE":
            return {"ProjectionType": "INCLUDE", "NonKeyAttributes": gsi.get("nonKeyAttributes", [])}
        return {"ProjectionType": p}

    def _attribute_definitions(self, t):
        types = {}
        keys = [t["partitionKey"], t.get("sortKey")]
        for g in t.get("gsis", []):
            keys += [g["partitionKey"], g.get("sortKey")]
        for k in keys:
            if not k:
                continue
            if types.setdefault(k["name"], k["type"]) != k["type"]:
                raise ProvisionError(f"table {t['name']}: attribute {k['name']} declared with two types")
        return [{"AttributeName": n, "AttributeType": ty} for n, ty in types.items()]

    def _gsi_spec(self, g):
        return {
            "IndexName": g["name"],
            "KeySchema": self._key_schema(g["partitionKey"], g.get("sortKey")),
            "Projection": self._projection(g),
        }

    def _wait_table_active(self, name, timeout=60):
        ddb = self.client("dynamodb")
        deadline = time.time() + timeout
        while True:
            desc = ddb.describe_table(TableName=name)["Table"]
            gsis_ok = all(g.get("IndexStatus", "ACTIVE") == "ACTIVE" for g in desc.get("GlobalSecondaryIndexes", []))
            if desc["TableStatus"] == "ACTIVE" and gsis_ok:
                return desc
            if time.time() > deadline:
                raise ProvisionError(f"table {name} not ACTIVE after {timeout}s")
            time.sleep(0.5)

    def ensure_table(self, t):
        ddb = self.client("dynamodb")
        name = self.stack.physical(t["name"])
        changes = []
        try:
            desc = ddb.describe_table(TableName=name)["Table"]
            status = "exists"
        except Exception as e:
            if error_code(e) != "ResourceNotFoundException":
                raise
            args = {
                "TableName": name,
                "AttributeDefinitions": self._attribute_definitions(t),
                "KeySchema": self._key_schema(t["partitionKey"], t.get("sortKey")),
                "BillingMode": t.get("billingMode", "PAY_PER_REQUEST"),
            }
            if t.get("gsis"):
                args["GlobalSecondaryIndexes"] = [self._gsi_spec(g) for g in t["gsis"]]
            if t.get("stream"):
                args["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": t["stream"]}
            ddb.create_table(**args)
            status = "created"
            desc = self._wait_table_active(name)

        want_keys = self._key_schema(t["partitionKey"], t.get("sortKey"))
        if desc["KeySchema"] != want_keys:
            raise ProvisionError(
                f"table {name} exists with key schema {desc['KeySchema']}, resources.json wants "
                f"{want_keys}: delete the table (or restart the local stack) to recreate it"
            )

        # Global secondary indexes: add the missing ones (one per UpdateTable call).
        have = {g["IndexName"] for g in desc.get("GlobalSecondaryIndexes", [])}
        for g in t.get("gsis", []):
            if g["name"] not in have:
                ddb.update_table(
                    TableName=name,
                    AttributeDefinitions=self._attribute_definitions(t),
                    GlobalSecondaryIndexUpdates=[{"Create": self._gsi_spec(g)}],
                )
                changes.append(f"gsi {g['name']} added")
                desc = self._wait_table_active(name)

        # Stream.
        cur = desc.get("StreamSpecification") or {}
        cur_view = cur.get("StreamViewType") if cur.get("StreamEnabled") else None
        want_view = t.get("stream")
        if cur_view != want_view:
            if cur_view:
                ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
                desc = self._wait_table_active(name)
            if want_view:
                ddb.update_table(
                    TableName=name,
                    StreamSpecification={"StreamEnabled": True, "StreamViewType": want_view},
                )
                desc = self._wait_table_active(name)
            changes.append(f"stream {want_view or 'disabled'}")

        # Time to live.
        ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        cur_ttl = ttl.get("AttributeName") if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") else None
        want_ttl = t.get("ttlAttribute")
        if cur_ttl != want_ttl:
            if cur_ttl:
                ddb.update_time_to_live(
                    TableName=name, TimeToLiveSpecification={"Enabled": False, "AttributeName": cur_ttl}
                )
            if want_ttl:
                ddb.update_time_to_live(
                    TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": want_ttl}
                )
            changes.append(f"ttl {want_ttl or 'disabled'}")

        if changes and status == "exists":
            status = "updated (" + ", ".join(changes) + ")"
        report("table", name, status)

    # ---- EventBridge + SQS

    def ensure_event_bus(self):
        ev = self.client("events")
        name = self.stack.bus_name()
        try:
            ev.describe_event_bus(Name=name)
            report("eventbus", name, "exists")
        except Exception as e:
            if error_code(e) != "ResourceNotFoundException":
                raise
            ev.create_event_bus(Name=name)
            report("eventbus", name, "created")

    @staticmethod
    def _same_attr(key, have, want):
        if have is None:
            return False
        if key in ("RedrivePolicy", "Policy", "RedriveAllowPolicy"):
            try:
                h, w = json.loads(have), json.loads(want)
            except ValueError:
                return False
            if key == "RedrivePolicy":
                return h.get("deadLetterTargetArn") == w.get("deadLetterTargetArn") and str(
                    h.get("maxReceiveCount")
                ) == str(w.get("maxReceiveCount"))
            return h == w
        return str(have) == str(want)

    def ensure_queue(self, name, attributes):
        """Create the queue or bring its attributes in line. Returns (url, arn)."""
        sqs = self.client("sqs")
        try:
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        except Exception as e:
            if error_code(e) not in ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"):
                raise
            url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            report("queue", name, "created")
            return url, arn
        have = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        diff = {k: v for k, v in attributes.items() if not self._same_attr(k, have.get(k), v)}
        if diff:
            sqs.set_queue_attributes(QueueUrl=url, Attributes=diff)
            report("queue", name, "updated (" + ", ".join(sorted(diff)) + ")")
        else:
            report("queue", name, "exists")
        return url, have["QueueArn"]

    def ensure_consumer(self, c):
        ev = self.client("events")
        bus = self.stack.bus_name()
        _dlq_url, dlq_arn = self.ensure_queue(
            self.stack.dlq_name(c),
            {"MessageRetentionPeriod": str(self.stack.consumer_setting(c, "dlqRetentionSeconds"))},
        )

        # The rule first: the queue policy names the rule's ARN.
        rule = self.stack.rule_name(c)
        pattern = c["eventPattern"]
        try:
            cur = ev.describe_rule(Name=rule, EventBusName=bus)
            same = json.loads(cur.get("EventPattern") or "null") == pattern and cur.get("State") == "ENABLED"
            rule_arn = cur["Arn"]
            rule_status = "exists"
        except Exception as e:
            if error_code(e) != "ResourceNotFoundException":
                raise
            same, rule_status = False, "created"
        if not same:
            rule_arn = ev.put_rule(
                Name=rule,
                EventBusName=bus,
                EventPattern=json.dumps(pattern),
                State="ENABLED",
                Description=f"{bus} -> {self.stack.queue_name(c)}",
            )["RuleArn"]
            if rule_status == "exists":
                rule_status = "updated (pattern/state)"

        queue = self.stack.queue_name(c)
        # Same account and region as the DLQ, so the queue's ARN is known before it exists.
        queue_arn = dlq_arn.rsplit(":", 1)[0] + ":" + queue
        policy = {
            "Version": "2012-10-17",
            "Id": f"{queue}-events",
            "Statement": [
                {
                    "Sid": "AllowEventBridgeRule",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
                }
            ],
        }
        url, arn = self.ensure_queue(
            queue,
            {
                "VisibilityTimeout": str(self.stack.consumer_setting(c, "visibilityTimeoutSeconds")),
                "RedrivePolicy": json.dumps(
                    {
                        "deadLetterTargetArn": dlq_arn,
                        "maxReceiveCount": str(self.stack.consumer_setting(c, "maxReceiveCount")),
                    }
                ),
                "Policy": json.dumps(policy),
            },
        )
        if arn != queue_arn:
            raise ProvisionError(f"queue {queue}: ARN {arn} differs from the expected {queue_arn}")

        targets = ev.list_targets_by_rule(Rule=rule, EventBusName=bus).get("Targets", [])
        if any(t.get("Id") == "queue" and t.get("Arn") == arn for t in targets):
            target_status = "target ok"
        else:
            resp = ev.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "queue", "Arn": arn}])
            if resp.get("FailedEntryCount"):
                raise ProvisionError(f"rule {rule}: put_targets failed: {resp.get('FailedEntries')}")
            target_status = "target set"
        report("rule", rule, f"{rule_status}, {target_status} -> {queue}")

    def ensure_plain_queue(self, q):
        """A queue our own code sends to (no rule), with its dead-letter queue."""
        _dlq_url, dlq_arn = self.ensure_queue(
            self.stack.dlq_name(q),
            {"MessageRetentionPeriod": str(self.stack.consumer_setting(q, "dlqRetentionSeconds"))},
        )
        attributes = {
            "VisibilityTimeout": str(self.stack.consumer_setting(q, "visibilityTimeoutSeconds")),
            "RedrivePolicy": json.dumps(
                {
                    "deadLetterTargetArn": dlq_arn,
                    "maxReceiveCount": str(self.stack.consumer_setting(q, "maxReceiveCount")),
                }
            ),
        }
        if "delaySeconds" in q:
            attributes["DelaySeconds"] = str(q["delaySeconds"])
        self.ensure_queue(self.stack.queue_name(q), attributes)

    # ---- S3

    def ensure_bucket(self, b):
        s3 = self.client("s3")
        name = self.stack.physical(b["name"])
        try:
            s3.head_bucket(Bucket=name)
            report("bucket", name, "exists")
            return
        except Exception as e:
            if error_code(e) not in ("404", "NoSuchBucket", "NotFound"):
                raise
        args = {"Bucket": name}
        if self.region != "us-east-1":
            args["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        s3.create_bucket(**args)
        report("bucket", name, "created")

    # ---- SES

    def ensure_ses_identity(self, s):
        ses = self.client("ses")
        email = s["email"]

        def verification():
            attrs = ses.get_identity_verification_attributes(Identities=[email])["VerificationAttributes"]
            return attrs.get(email, {}).get("VerificationStatus")

        known = set()
        for page in ses.get_paginator("list_identities").paginate(IdentityType="EmailAddress"):
            known.update(page.get("Identities", []))
        if email in known:
            report("ses", email, f"exists (verification: {verification() or 'unknown'})")
            return
        ses.verify_email_identity(EmailAddress=email)
        report("ses", email, f"created (verification: {verification() or 'unknown'})")

    # ---- KMS

    def ensure_kms_key(self, k):
        kms = self.client("kms")
        alias = self.stack.kms_alias(k)
        try:
            meta = kms.describe_key(KeyId=alias)["KeyMetadata"]
        except Exception as e:
            if error_code(e) != "NotFoundException":
                raise
            meta = kms.create_key(
                KeySpec=k["keySpec"],
                KeyUsage=k["keyUsage"],
                Description=k.get("description", alias),
            )["KeyMetadata"]
            kms.create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])
            report("kms", alias, f"created ({k['keySpec']} {k['keyUsage']}, key {meta['KeyId']})")
            return
        have_spec = meta.get("KeySpec") or meta.get("CustomerMasterKeySpec")
        if have_spec != k["keySpec"] or meta.get("KeyUsage") != k["keyUsage"]:
            raise ProvisionError(
                f"kms {alias} points at a {have_spec}/{meta.get('KeyUsage')} key, resources.json wants "
                f"{k['keySpec']}/{k['keyUsage']}: delete the alias (or restart the local stack)"
            )
        if meta.get("KeyState") != "Enabled":
            raise ProvisionError(f"kms {alias}: key {meta['KeyId']} is {meta.get('KeyState')}")
        report("kms", alias, "exists")


    # ---- Secrets Manager

    def ensure_secret(self, sec):
        """Creates the secret with its local value; an existing one is left as it is (an
        operator may have put other values in)."""
        sm = self.client("secretsmanager")
        name = self.stack.physical(sec["name"])
        try:
            sm.describe_secret(SecretId=name)
            report("secret", name, "exists")
            return
        except Exception as e:
            if error_code(e) != "ResourceNotFoundException":
                raise
        sm.create_secret(
            Name=name,
            Description=sec.get("description", name)[:2048],
            SecretString=json.dumps(sec.get("localValue", {})),
        )
        report("secret", name, "created")


    # ---- EventBridge Scheduler

    def ensure_schedule_group(self, g):
        """The group only: its schedules are the code's, and the role exists only in AWS."""
        scheduler = self.client("scheduler")
        name = self.stack.physical(g["name"])
        try:
            scheduler.get_schedule_group(Name=name)
            report("schedules", name, "exists")
        except Exception as e:
            if error_code(e) != "ResourceNotFoundException":
                raise
            scheduler.create_schedule_group(Name=name)
            report("schedules", name, "created")


# --------------------------------------------------------------------------- main


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--resources", default=DEFAULT_RESOURCES, help="path to resources.json")
    p.add_argument("--prefix", help="physical name prefix (default: $RESOURCE_PREFIX or resources.json)")
    p.add_argument("--print-env", action="store_true", help="print export lines instead of provisioning")
    p.add_argument("--endpoint", help="--print-env: LocalStack endpoint URL")
    p.add_argument("--dynamodb-endpoint", help="--print-env: DynamoDB endpoint URL (default: --endpoint)")
    p.add_argument("--stripe-api-base", help="--print-env: localstripe URL")
    p.add_argument("--region", help="--print-env: region (default: $AWS_REGION or us-east-1)")
    p.add_argument("--account-id", default=LOCAL_ACCOUNT_ID, help="--print-env: account id in queue URLs")
    args = p.parse_args(argv)

    try:
        stack = Stack(args.resources, args.prefix)
        if args.print_env:
            if not args.endpoint:
                p.error("--print-env needs --endpoint")
            import signal

            signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `... env | head` is fine
            print_env(stack, args)
            return 0
        try:
            import boto3  # noqa: F401
        except ImportError:
            raise ProvisionError(f"boto3 is not installed for {sys.executable}")
        Provisioner(stack).run()
        return 0
    except ProvisionError as e:
        print(f"provision.py: error: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # botocore errors, connection errors
        name = type(e).__name__
        if "EndpointConnectionError" in name or "ConnectionClosedError" in name or "ConnectTimeout" in name:
            print(
                f"provision.py: error: cannot reach the emulator ({e}). Is the local stack up? "
                "(localstack/local.sh up, or localstack/docker.sh up)",
                file=sys.stderr,
            )
        else:
            print(f"provision.py: error: {name}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
