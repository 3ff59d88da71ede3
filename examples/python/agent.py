"""A Mandate agent in Python: proposes one signed action and prints the validator's verdict.

    python agent.py --agent-id support-assistant --key-file agent-key.pem --key-id support-assistant-2026 \\
        --tool lookup_order --operation read --arguments '{"order_id": "A-1042"}'

What the TypeScript SDK's MandateAgent.propose() does, with confluent-kafka:
  1. build the action and sign its canonical encoding with the agent's Ed25519 key (canonical.py);
  2. produce it to the actions topic, Avro in Confluent's wire format, keyed by the agent id;
  3. read the decisions topic from before the proposal until the verdict for this action id arrives;
  4. check the validator's signature with the key it published on the validator-keys topic (verdict.py).

Kafka and the registry come from the services' variables: MANDATE_KAFKA_BROKERS,
MANDATE_SCHEMA_REGISTRY_URL, and MANDATE_TOPIC_ACTIONS / _DECISIONS / _VALIDATOR_KEYS to override the
topic names. Prints the verdict as one JSON object. Exit status: 0 a verified verdict (whatever it
says), 1 a verdict that does not verify (treat it as no verdict: do not run), 2 no verdict in time.
"""

import argparse
import base64
import json
import os
import secrets
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from canonical import canonical_action_bytes
from verdict import VerdictRefused, verify_verdict

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas" / "avro"
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def settings():
    env = os.environ
    return {
        "brokers": env.get("MANDATE_KAFKA_BROKERS", "127.0.0.1:9092"),
        "registry": env.get("MANDATE_SCHEMA_REGISTRY_URL", "http://127.0.0.1:8081"),
        "actions": env.get("MANDATE_TOPIC_ACTIONS", "agent.actions.v1"),
        "decisions": env.get("MANDATE_TOPIC_DECISIONS", "agent.decisions.v1"),
        "validator_keys": env.get("MANDATE_TOPIC_VALIDATOR_KEYS", "mandate.validator-keys.v1"),
    }


def epoch_ms(value):
    """The Avro deserializer turns timestamp-millis into datetimes; the signed bytes hold the integer.
    Integer arithmetic on the timedelta keeps it exact."""
    if isinstance(value, datetime):
        return (value - EPOCH) // timedelta(milliseconds=1)
    if isinstance(value, dict):
        return {k: epoch_ms(v) for k, v in value.items()}
    if isinstance(value, list):
        return [epoch_ms(v) for v in value]
    return value


def load_signing_key(path):
    key = load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        sys.exit(f"{path} is not an Ed25519 private key (PKCS#8 PEM)")
    return key


def signed_action(args, key):
    """The action as MandateAgent builds it; `signature` covers every other field."""
    action = {
        "action_id": str(uuid.uuid4()),
        "agent_id": args.agent_id,
        "session_id": args.session_id or str(uuid.uuid4()),
        "session_task": args.session_task,
        "tool": args.tool,
        "operation": args.operation,
        "resource": args.resource,
        "destination": args.destination,
        # Sent and signed as this exact text: the validator never re-serialises it.
        "arguments_json": json.dumps(json.loads(args.arguments), separators=(",", ":"), ensure_ascii=False),
        "intent": args.intent,
        "proposed_at": int(time.time() * 1000),
        "nonce": secrets.token_hex(16),
        "key_id": args.key_id,
        "signature": None,
        "executor_group": args.executor_group,
    }
    action["signature"] = base64.b64encode(key.sign(canonical_action_bytes(action))).decode("ascii")
    return action


def new_consumer(brokers):
    # Partitions are assigned by hand and no offset is committed: the group id is only a formality.
    return Consumer(
        {"bootstrap.servers": brokers, "group.id": f"python-agent-{uuid.uuid4()}", "enable.auto.commit": False}
    )


def consumer_at_end(brokers, topic):
    """A consumer assigned to the end of every partition of `topic`: it sees what is written after
    this call, which is why it is set up before the proposal goes out (no verdict can be missed)."""
    consumer = new_consumer(brokers)
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    assigned = []
    for p in partitions:
        _, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        assigned.append(TopicPartition(topic, p, high))
    consumer.assign(assigned)
    return consumer


def produce(brokers, topic, action, value):
    # murmur2_random is Kafka's Java partitioner (as kafkajs uses): the agent's messages land on the
    # same partition as what executors write back for it under the same key.
    producer = Producer(
        {"bootstrap.servers": brokers, "enable.idempotence": True, "acks": "all", "partitioner": "murmur2_random"}
    )
    failures = []
    producer.produce(
        topic,
        key=action["agent_id"].encode(),
        value=value,
        headers=[("mandate-action-id", action["action_id"].encode()), ("mandate-record", b"action")],
        on_delivery=lambda err, _msg: failures.append(err) if err else None,
    )
    if producer.flush(10) > 0 or failures:
        raise KafkaException(failures[0] if failures else "the action was not acknowledged in time")


def await_verdict(consumer, decode, action_id, deadline):
    """The first decision for `action_id` (a reviewer's later decision supersedes it; not awaited here)."""
    while time.monotonic() < deadline:
        message = consumer.poll(0.2)
        if message is None:
            continue
        if message.error():
            raise KafkaException(message.error())
        try:
            decision = decode(message.value(), SerializationContext(message.topic(), MessageField.VALUE))
        except Exception:  # an unreadable record can never approve anything: skip it
            continue
        if decision["action"]["action_id"] == action_id and decision["supersedes"] is None:
            return decision
    return None


def validator_keys(brokers, topic, decode):
    """validator id -> public key, from the compacted validator-keys topic read to its current end.
    A validator publishes its key before it decides, so a genuine verdict's key is there by now."""
    consumer = new_consumer(brokers)
    try:
        ends = {}
        for p in consumer.list_topics(topic, timeout=10).topics[topic].partitions:
            _, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            ends[p] = high
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in ends])
        keys = {}
        deadline = time.monotonic() + 10
        while not read_to(consumer, topic, ends):
            if time.monotonic() > deadline:
                raise KafkaException(f"could not read {topic} to its end in time")
            message = consumer.poll(0.2)
            if message is None:
                continue
            if message.error():
                raise KafkaException(message.error())
            validator_id = message.key().decode()
            keys.pop(validator_id, None)  # a tombstone, or a record that cannot be used, revokes the key
            if message.value() is None:
                continue
            record = decode(message.value(), SerializationContext(topic, MessageField.VALUE))
            if record["algorithm"] == "ed25519" and record["validator_id"] == validator_id:
                key = load_pem_public_key(record["public_key"].encode())
                if isinstance(key, Ed25519PublicKey):
                    keys[validator_id] = key
        return keys
    finally:
        consumer.close()


def read_to(consumer, topic, ends):
    """Whether the consumer's position has reached `ends` (partition -> offset) on every partition.
    Positions, not message offsets: transaction markers take offsets no message is delivered for."""
    positions = consumer.position([TopicPartition(topic, p) for p in ends])
    return all(tp.offset >= ends[tp.partition] or ends[tp.partition] == 0 for tp in positions)


def main():
    parser = argparse.ArgumentParser(description="Propose one signed action to Mandate and print its verdict.")
    parser.add_argument("--agent-id", required=True)
    parser.add_argument("--key-file", required=True, help="the agent's Ed25519 private key, PKCS#8 PEM")
    parser.add_argument("--key-id", required=True, help="the id the key is registered under")
    parser.add_argument("--tool", required=True)
    parser.add_argument("--operation", required=True)
    parser.add_argument("--arguments", default="{}", help="the tool arguments, a JSON object")
    parser.add_argument("--intent")
    parser.add_argument("--session-id")
    parser.add_argument("--session-task", help="the user's instruction this session serves")
    parser.add_argument("--resource")
    parser.add_argument("--destination")
    parser.add_argument("--executor-group", help="the executor group that is to run the action if approved")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the verdict")
    args = parser.parse_args()
    config = settings()

    key = load_signing_key(args.key_file)
    registry = SchemaRegistryClient({"url": config["registry"]})
    # The services registered the schema; the agent only looks up its id (no auto-registration).
    serialize = AvroSerializer(
        registry, (SCHEMAS / "action-proposed.avsc").read_text("utf-8"), conf={"auto.register.schemas": False}
    )
    # Decoded with the writer's schema from the registry; datetimes back to epoch ms.
    decode = AvroDeserializer(registry, from_dict=lambda record, _ctx: epoch_ms(record))

    action = signed_action(args, key)
    decisions = consumer_at_end(config["brokers"], config["decisions"])
    try:
        value = serialize(action, SerializationContext(config["actions"], MessageField.VALUE))
        produce(config["brokers"], config["actions"], action, value)
        decision = await_verdict(decisions, decode, action["action_id"], time.monotonic() + args.timeout)
    finally:
        decisions.close()
    if decision is None:
        print(json.dumps({"action_id": action["action_id"], "error": "no verdict in time: do not run"}))
        sys.exit(2)

    keys = validator_keys(config["brokers"], config["validator_keys"], decode)
    report = {
        "action_id": action["action_id"],
        "decision_id": decision["decision_id"],
        "verdict": decision["verdict"],
        "reasons": [{"code": r["code"], "message": r["message"]} for r in decision["reasons"]],
        "validator_id": decision["validator_id"],
        "action_signature": action["signature"],
    }
    try:
        verify_verdict(decision, keys.get(decision["validator_id"]), int(time.time() * 1000), args.executor_group)
    except VerdictRefused as refused:
        print(json.dumps({**report, "verified": False, "refusal": refused.code, "refusal_reason": refused.reason}))
        sys.exit(1)
    print(json.dumps({**report, "verified": True}))


if __name__ == "__main__":
    main()
